// Adds the video embed the way a single-page app would, after the page has started. Its URL is
// this demo server on video.localhost, the demo's stand-in for a video platform.
const template = document.getElementById("video-embed");
const embed = template.content.cloneNode(true);
embed.querySelector("iframe").setAttribute("data-src", `${location.protocol}//video.localhost:${location.port}/third-party/video.html`);
template.replaceWith(embed);
