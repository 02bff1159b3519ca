//! Default texts in German and English, overridable per key from the config, which gives every
//! text of any other language.
//!
//! The defaults are written to be plain and neutral (R6, R15): no "best experience" nudges, the
//! refusal named as prominently as the consent, withdrawal explained on the first layer.

use super::{Config, SHIPPED_LANGUAGES};
use crate::strings::join;

macro_rules! text_keys {
    (
        $($key:ident $name:literal { de: $de:literal, en: $en:literal })*
        ;
        $($outcome:ident $outcome_name:literal { de: $outcome_de:literal, en: $outcome_en:literal })*
    ) => {
        /// A text of the banner, the preferences and sealed forms, overridable under
        /// `texts.<lang>.<name>`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum TextKey {
            $(
                #[doc = concat!("`", $name, "`: „", $de, "“")]
                $key,
            )*
            $(
                #[doc = concat!("`", $outcome_name, "`: „", $outcome_de, "“ (shown by the seal module)")]
                $outcome,
            )*
        }

        impl TextKey {
            /// Every key, in a fixed order.
            pub const ALL: &'static [TextKey] = &[$(TextKey::$key,)* $(TextKey::$outcome),*];

            /// The outcomes of sending a sealed form, which the seal module shows.
            pub const OUTCOMES: &'static [TextKey] = &[$(TextKey::$outcome),*];

            /// The key's name in the config (`texts.de.<name>`).
            pub fn name(self) -> &'static str {
                // Tables indexed by the key are a few bytes of code; a `match` is a jump table.
                const NAMES: &[&str] = &[$($name,)* $($outcome_name),*];
                NAMES[self as usize]
            }

            /// The shipped default text in `lang`, German for a language keksdose does not ship
            /// (whose texts the config gives). Each wasm module carries only the defaults it
            /// shows (an empty text for the others): the outcomes of sending a sealed form are
            /// shown by the seal module, everything else by the consent module, loaded by every
            /// page.
            pub fn default_text(self, lang: &str) -> &'static str {
                #[cfg(any(not(target_arch = "wasm32"), feature = "consent"))]
                const DEFAULTS: &[[&str; 2]] = &[$([$de, $en]),*];
                #[cfg(all(target_arch = "wasm32", not(feature = "consent")))]
                const DEFAULTS: &[[&str; 2]] = &[$({ stringify!($key); ["", ""] }),*];
                #[cfg(any(not(target_arch = "wasm32"), feature = "seal"))]
                const OUTCOMES: &[[&str; 2]] = &[$([$outcome_de, $outcome_en]),*];
                #[cfg(all(target_arch = "wasm32", not(feature = "seal")))]
                const OUTCOMES: &[[&str; 2]] = &[$({ stringify!($outcome); ["", ""] }),*];
                let i = self as usize;
                let lang = shipped(lang);
                match DEFAULTS.get(i) {
                    Some(texts) => texts[lang],
                    None => OUTCOMES[i - DEFAULTS.len()][lang],
                }
            }
        }
    };
}

text_keys! {
    BannerTitle "bannerTitle" {
        de: "Datenschutz auf dieser Website",
        en: "Privacy on this website"
    }
    BannerDescription "bannerDescription" {
        de: "Wir verwenden technisch notwendige Cookies, damit diese Website funktioniert. Nur mit Ihrer Einwilligung setzen wir außerdem die folgenden Dienste ein. Die Einwilligung ist freiwillig. Sie können sie jederzeit über „Einstellungen“ ändern oder für die Zukunft widerrufen.",
        en: "We use technically necessary cookies so that this website works. Only with your consent do we also use the following services. Consent is voluntary. You can change it or withdraw it for the future at any time under “Settings”."
    }
    AcceptAll "acceptAll" { de: "Alle akzeptieren", en: "Accept all" }
    RejectAll "rejectAll" { de: "Alle ablehnen", en: "Reject all" }
    Settings "settings" { de: "Einstellungen", en: "Settings" }
    PreferencesTitle "preferencesTitle" {
        de: "Datenschutz-Einstellungen",
        en: "Privacy settings"
    }
    PreferencesDescription "preferencesDescription" {
        de: "Wählen Sie, welchen Zwecken und Diensten Sie zustimmen. Technisch notwendige Cookies sind immer aktiv. Sie können Ihre Auswahl jederzeit ändern.",
        en: "Choose the purposes and services you agree to. Technically necessary cookies are always active. You can change your choice at any time."
    }
    Save "save" { de: "Auswahl speichern", en: "Save selection" }
    Close "close" { de: "Schließen", en: "Close" }
    PrivacyLink "privacyLink" { de: "Datenschutzerklärung", en: "Privacy policy" }
    ImprintLink "imprintLink" { de: "Impressum", en: "Imprint" }
    AlwaysActive "alwaysActive" { de: "Immer aktiv", en: "Always active" }
    Provider "provider" { de: "Anbieter", en: "Provider" }
    Purpose "purpose" { de: "Zweck", en: "Purpose" }
    Cookies "cookies" { de: "Cookies", en: "Cookies" }
    Storage "storage" { de: "Lokaler Speicher", en: "Local storage" }
    Hosts "hosts" { de: "Aufgerufene Server", en: "Servers contacted" }
    Retention "retention" { de: "Speicherdauer", en: "Retention" }
    Recipients "recipients" { de: "Empfänger, Drittland", en: "Recipients, third country" }
    ProviderPrivacy "providerPrivacy" {
        de: "Datenschutzhinweise des Anbieters",
        en: "Provider's privacy notice"
    }
    EmbedNotice "embedNotice" {
        de: "Hier wird ein Inhalt von {provider} angezeigt. Wenn Sie ihn laden, erhält der Anbieter Ihre IP-Adresse und kann Cookies setzen.",
        en: "Content from {provider} is shown here. If you load it, the provider receives your IP address and may set cookies."
    }
    LoadOnce "loadOnce" { de: "Einmal laden", en: "Load once" }
    LoadAlways "loadAlways" { de: "Immer erlauben", en: "Always allow" }
    SealSending "sealSending" {
        de: "Ihre Angaben werden verschlüsselt und gesendet …",
        en: "Encrypting and sending your details …"
    }
    SealUnavailable "sealUnavailable" {
        de: "Nicht gesendet: Die Verschlüsselung ist auf dieser Seite nicht verfügbar. Es wurde nichts übertragen.",
        en: "Not sent: encryption is not available on this page. Nothing was transmitted."
    }
    ConsentId "consentId" { de: "Ihre Einwilligungs-ID: ", en: "Your consent ID: " }
    DownloadRecords "downloadRecords" { de: "Nachweise herunterladen", en: "Download records" }
    EraseData "eraseData" { de: "Hier gespeicherte Daten löschen", en: "Erase data stored here" }
    ConfigFailed "configFailed" {
        de: "Die Cookie-Einstellungen dieser Website konnten nicht geladen werden. Es werden nur technisch notwendige Cookies verwendet.",
        en: "The cookie settings of this website could not be loaded. Only technically necessary cookies are used."
    }
    ;
    SealSent "sealSent" {
        de: "Vielen Dank! Ihre Angaben wurden verschlüsselt übermittelt.",
        en: "Thank you. Your details were sent encrypted."
    }
    SealTooLarge "sealTooLarge" {
        de: "Nicht gesendet: Die Anhänge sind zusammen größer als {max}. Es wurde nichts übertragen.",
        en: "Not sent: the attachments together are larger than {max}. Nothing was transmitted."
    }
    SealTooLong "sealTooLong" {
        de: "Nicht gesendet: Die Eingaben sind zu umfangreich (mehr als 1 MB Text oder mehr als 10.000 Felder). Es wurde nichts übertragen.",
        en: "Not sent: the entries are too long (more than 1 MB of text or more than 10,000 fields). Nothing was transmitted."
    }
    SealFileUnreadable "sealFileUnreadable" {
        de: "Nicht gesendet: Eine angehängte Datei ließ sich nicht lesen – vielleicht wurde sie nach der Auswahl geändert. Bitte wählen Sie sie erneut aus. Es wurde nichts übertragen.",
        en: "Not sent: an attached file could not be read – perhaps it was changed after it was chosen. Please choose it again. Nothing was transmitted."
    }
    SealFailed "sealFailed" {
        de: "Nicht gesendet: Die Verschlüsselung ist fehlgeschlagen. Es wurde nichts übertragen.",
        en: "Not sent: encryption failed. Nothing was transmitted."
    }
    SealRejected "sealRejected" {
        de: "Nicht angenommen: Der Server hat die verschlüsselte Nachricht abgelehnt (Status {status}). Unverschlüsselt wurde nichts übertragen. Bitte versuchen Sie es später erneut.",
        en: "Not accepted: the server refused the encrypted message (status {status}). Nothing was transmitted unencrypted. Please try again later."
    }
    SealNetwork "sealNetwork" {
        de: "Nicht gesendet: Der Server ist nicht erreichbar. Unverschlüsselt wurde nichts übertragen. Bitte versuchen Sie es erneut.",
        en: "Not sent: the server cannot be reached. Nothing was transmitted unencrypted. Please try again."
    }
}

impl TextKey {
    /// The key named `name` in the config.
    pub fn from_name(name: &str) -> Option<TextKey> {
        TextKey::ALL.iter().copied().find(|key| key.name() == name)
    }

    /// Whether the text is part of what the visitor decides on, and so of the revision. Form
    /// messages and the failure notice are not.
    pub fn affects_consent(self) -> bool {
        !matches!(
            self,
            TextKey::SealSending
                | TextKey::SealSent
                | TextKey::SealTooLarge
                | TextKey::SealTooLong
                | TextKey::SealFileUnreadable
                | TextKey::SealUnavailable
                | TextKey::SealFailed
                | TextKey::SealRejected
                | TextKey::SealNetwork
                | TextKey::ConfigFailed
        )
    }

    /// Every key name, comma-separated (for error messages).
    pub fn names() -> String {
        let names: Vec<&str> = TextKey::ALL.iter().map(|key| key.name()).collect();
        join(&names, ", ")
    }
}

/// The index of `lang` in [`SHIPPED_LANGUAGES`] (and the default tables); German's for a
/// language keksdose does not ship.
fn shipped(lang: &str) -> usize {
    usize::from(lang == SHIPPED_LANGUAGES[1])
}

/// Title and description shipped for the well-known category names, in `lang` or German.
fn category_default(name: &str, lang: &str) -> Option<(&'static str, &'static str)> {
    let texts = match (name, shipped(lang)) {
        ("necessary", 0) => (
            "Technisch notwendig",
            "Erforderlich, damit die Website funktioniert, zum Beispiel um diese Auswahl zu speichern. Diese Cookies lassen sich nicht abschalten.",
        ),
        ("necessary", _) => (
            "Strictly necessary",
            "Required for the website to work, for example to store this choice. These cannot be switched off.",
        ),
        ("functional", 0) => (
            "Funktional",
            "Zusätzliche Funktionen, etwa gespeicherte Anzeige-Einstellungen oder ein Chat.",
        ),
        ("functional", _) => (
            "Functional",
            "Extra features such as remembered display settings or a chat.",
        ),
        ("analytics", 0) => (
            "Statistik",
            "Hilft uns zu verstehen, wie die Website genutzt wird, damit wir sie verbessern können.",
        ),
        ("analytics", _) => (
            "Statistics",
            "Helps us understand how the website is used so that we can improve it.",
        ),
        ("marketing", 0) => (
            "Marketing",
            "Zeigt Werbung an und misst ihre Wirkung, auch über mehrere Websites hinweg.",
        ),
        ("marketing", _) => (
            "Marketing",
            "Shows advertising and measures its effect, also across websites.",
        ),
        ("media", 0) => (
            "Externe Medien",
            "Lädt Inhalte anderer Anbieter, etwa Videos oder Karten. Der Anbieter erhält dabei Ihre IP-Adresse.",
        ),
        ("media", _) => (
            "External media",
            "Loads content from other providers, such as videos or maps. The provider receives your IP address.",
        ),
        _ => return None,
    };
    Some(texts)
}

/// The texts of one language for one config: overrides, else the defaults.
#[derive(Debug, Clone, Copy)]
pub struct Texts<'a> {
    config: &'a Config,
    lang: &'a str,
}

impl<'a> Texts<'a> {
    /// The texts of `config` in `lang`.
    pub fn new(config: &'a Config, lang: &'a str) -> Texts<'a> {
        Texts { config, lang }
    }

    /// The language of these texts.
    pub fn lang(&self) -> &'a str {
        self.lang
    }

    /// The text for `key`.
    pub fn get(&self, key: TextKey) -> &'a str {
        self.config
            .texts
            .get(self.lang)
            .and_then(|texts| texts.get(key.name()))
            .map_or_else(|| key.default_text(self.lang), String::as_str)
    }

    /// The heading of category `name`: configured, else shipped, else the name itself.
    pub fn category_title(&self, name: &'a str) -> &'a str {
        let configured = self.config.category(name).and_then(|c| c.title.as_ref());
        match configured.and_then(|title| title.get(self.lang)) {
            Some(title) => title,
            None => category_default(name, self.lang).map_or(name, |(title, _)| title),
        }
    }

    /// The description of category `name`: configured, else shipped, else empty.
    pub fn category_description(&self, name: &str) -> &'a str {
        let configured = self
            .config
            .category(name)
            .and_then(|c| c.description.as_ref());
        match configured.and_then(|description| description.get(self.lang)) {
            Some(description) => description,
            None => category_default(name, self.lang).map_or("", |(_, description)| description),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::validate::KNOWN_CATEGORIES;

    #[test]
    fn every_known_category_has_texts_in_every_language() {
        for name in KNOWN_CATEGORIES {
            for lang in SHIPPED_LANGUAGES {
                let (title, description) = category_default(name, lang).expect(name);
                assert!(!title.is_empty() && !description.is_empty());
            }
        }
    }

    #[test]
    fn key_names_are_unique_and_found_again() {
        for key in TextKey::ALL {
            assert_eq!(TextKey::from_name(key.name()), Some(*key));
        }
        assert_eq!(TextKey::from_name("bannerTitel"), None);
    }

    #[test]
    fn first_layer_buttons_have_the_required_german_labels() {
        assert_eq!(TextKey::AcceptAll.default_text("de"), "Alle akzeptieren");
        assert_eq!(TextKey::RejectAll.default_text("de"), "Alle ablehnen");
        assert_eq!(TextKey::Settings.default_text("de"), "Einstellungen");
    }

    #[test]
    fn default_texts_do_not_nudge() {
        // R6: no "best experience" wording in any default.
        let nudges = [
            "optimal",
            "beste",
            "best experience",
            "better experience",
            "empfehlen",
        ];
        for key in TextKey::ALL {
            for lang in SHIPPED_LANGUAGES {
                let text = key.default_text(lang).to_lowercase();
                for nudge in nudges {
                    assert!(!text.contains(nudge), "{} ({lang:?}): {nudge}", key.name());
                }
            }
        }
    }
}
