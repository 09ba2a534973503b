//! The authentication method types Graph lists, by `@odata.type`.

use serde::Serialize;

use super::method::{Detail, Method};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum MethodKind {
    Password,
    Fido2,
    TemporaryAccessPass,
    Phone,
    Email,
    MicrosoftAuthenticator,
    SoftwareOath,
    HardwareOath,
    WindowsHelloForBusiness,
    PlatformCredential,
    QrCodePin,
    External,
    /// A type this glasskey does not know: reported, never dropped.
    Unknown,
}

const PREFIX: &str = "#microsoft.graph.";
const SUFFIX: &str = "AuthenticationMethod";

/// Password methods always carry this id.
pub const PASSWORD_METHOD_ID: &str = "28c10230-6103-485e-b985-444c60001490";

impl MethodKind {
    pub fn from_odata_type(odata_type: &str) -> Self {
        let short = odata_type
            .strip_prefix(PREFIX)
            .and_then(|t| t.strip_suffix(SUFFIX))
            .unwrap_or("");
        match short {
            "password" => Self::Password,
            "fido2" => Self::Fido2,
            "temporaryAccessPass" => Self::TemporaryAccessPass,
            "phone" => Self::Phone,
            "email" => Self::Email,
            "microsoftAuthenticator" => Self::MicrosoftAuthenticator,
            "softwareOath" => Self::SoftwareOath,
            "hardwareOath" => Self::HardwareOath,
            "windowsHelloForBusiness" => Self::WindowsHelloForBusiness,
            "platformCredential" => Self::PlatformCredential,
            "qrCodePin" => Self::QrCodePin,
            "external" => Self::External,
            _ => Self::Unknown,
        }
    }

    /// How a person names the method.
    pub fn label(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::Fido2 => "passkey (FIDO2)",
            Self::TemporaryAccessPass => "Temporary Access Pass",
            Self::Phone => "phone",
            Self::Email => "email",
            Self::MicrosoftAuthenticator => "Microsoft Authenticator",
            Self::SoftwareOath => "software OATH token",
            Self::HardwareOath => "hardware OATH token",
            Self::WindowsHelloForBusiness => "Windows Hello for Business",
            Self::PlatformCredential => "platform credential",
            Self::QrCodePin => "QR code + PIN",
            Self::External => "external authentication method",
            Self::Unknown => "unknown method type",
        }
    }

    /// Not phishing-resistant, or bound to a person's own device (GK034).
    pub fn is_weak_or_personal(self) -> bool {
        matches!(
            self,
            Self::Phone
                | Self::Email
                | Self::MicrosoftAuthenticator
                | Self::SoftwareOath
                | Self::HardwareOath
                | Self::WindowsHelloForBusiness
                | Self::PlatformCredential
                | Self::QrCodePin
                | Self::External
                | Self::Unknown
        )
    }
}

/// What distinguishes one method of a kind from another, for messages.
pub fn describe(kind: MethodKind, m: &Method) -> String {
    let detail = match &m.detail {
        Detail::Phone { phone_type, number } => phone_type
            .iter()
            .chain(number.iter())
            .map(|s| &**s)
            .collect::<Vec<&str>>()
            .join(" "),
        Detail::Email { address } => address.as_deref().unwrap_or_default().to_owned(),
        Detail::Unknown { odata_type } => odata_type.to_string(),
        _ => m.display_name.as_deref().unwrap_or_default().to_owned(),
    };
    if detail.is_empty() {
        format!("{} (id {})", kind.label(), m.id)
    } else {
        format!("{} \"{detail}\" (id {})", kind.label(), m.id)
    }
}
