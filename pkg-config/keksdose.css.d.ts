// The stylesheet has no exports: `import "keksdose/keksdose.css";` for a bundler that handles CSS.
export {};
