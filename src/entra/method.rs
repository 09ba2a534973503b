//! One authentication method from Graph, parsed into only what the rules and sheets read. An
//! export holds hundreds of thousands of these, so each is a small typed struct rather than a
//! JSON tree: Graph's other fields are skipped, yet every field glasskey knows is type-checked
//! (also the few it does not keep), a key given twice is refused, and an unknown `@odata.type`
//! is kept by name so that it is reported, never dropped.

use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::aaguid::Aaguid;
use super::export::{Text, Timestamp};
use super::methods::MethodKind;

#[derive(Debug, Clone)]
pub struct Method {
    /// None while the method named no `@odata.type` (allowed in fido2Methods only; the export's
    /// checks settle it before anything reads it).
    pub(crate) kind: Option<MethodKind>,
    pub id: Text,
    pub display_name: Option<Text>,
    /// Registration date: `createdDateTime`, or `creationDateTime` as the methods list spells
    /// it for passkeys.
    pub created: Option<Timestamp>,
    /// Which spelling `created` came from, to name its path.
    pub created_field: DateField,
    /// beta fido2Methods only.
    pub last_used: Option<Timestamp>,
    pub detail: Detail,
}

/// What one kind of method carries beyond the common fields.
#[derive(Debug, Clone, Default)]
pub enum Detail {
    #[default]
    None,
    Passkey(Passkey),
    TemporaryAccessPass(Box<TemporaryAccessPass>),
    Phone {
        phone_type: Option<Text>,
        number: Option<Text>,
    },
    Email {
        address: Option<Text>,
    },
    /// A type this glasskey does not know, by Graph's name.
    Unknown {
        odata_type: Text,
    },
}

/// The spelling of a method's registration date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DateField {
    #[default]
    CreatedDateTime,
    CreationDateTime,
}

impl DateField {
    pub fn name(self) -> &'static str {
        match self {
            Self::CreatedDateTime => "createdDateTime",
            Self::CreationDateTime => "creationDateTime",
        }
    }
}

/// Declares one of Graph's string enums: its documented values only, each read as written
/// (Graph writes camelCase). Any other string is refused with the values it may hold, so an
/// unexpected spelling never reads as the safe value; absent or null is `None`, which the
/// rules treat as unstated, never as safe.
macro_rules! graph_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                read_str(d, |s| match s {
                    $($text => Ok(Self::$variant),)+
                    other => Err(format!(
                        "{other:?} is not one of Graph's values ({})",
                        [$($text),+].join(", ")
                    )),
                })
            }
        }
    };
}

graph_enum!(
    /// `attestationLevel` of a fido2AuthenticationMethod.
    AttestationLevel {
        Attested = "attested",
        NotAttested = "notAttested",
        UnknownFutureValue = "unknownFutureValue",
    }
);
graph_enum!(
    /// `passkeyType` of a fido2AuthenticationMethod (beta fido2Methods only).
    PasskeyType {
        DeviceBound = "deviceBound",
        Synced = "synced",
        UnknownFutureValue = "unknownFutureValue",
    }
);

#[derive(Debug, Clone, Default)]
pub struct Passkey {
    /// None when Graph gives none (absent or null).
    pub aa_guid: Option<Aaguid>,
    pub attestation: Option<AttestationLevel>,
    pub passkey_type: Option<PasskeyType>,
    /// The WebAuthn credential ID the method id names, decoded by the export's checks.
    pub credential_id: Box<[u8]>,
}

#[derive(Debug, Clone, Default)]
pub struct TemporaryAccessPass {
    pub is_usable: Option<bool>,
    pub usability_reason: Option<Text>,
    pub start: Option<Timestamp>,
    pub lifetime_minutes: Option<i64>,
}

impl Method {
    pub fn kind(&self) -> MethodKind {
        self.kind.unwrap_or(MethodKind::Unknown)
    }

    pub fn passkey(&self) -> Option<&Passkey> {
        match &self.detail {
            Detail::Passkey(p) => Some(p),
            _ => None,
        }
    }

    /// Graph's type name, for a type glasskey does not know.
    pub fn unknown_type(&self) -> Option<&Text> {
        match &self.detail {
            Detail::Unknown { odata_type } => Some(odata_type),
            _ => None,
        }
    }
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "camelCase")]
enum Field {
    #[serde(rename = "@odata.type")]
    ODataType,
    Id,
    DisplayName,
    CreatedDateTime,
    CreationDateTime,
    LastUsedDateTime,
    AaGuid,
    Model,
    AttestationCertificates,
    AttestationLevel,
    PasskeyType,
    IsUsable,
    MethodUsabilityReason,
    StartDateTime,
    LifetimeInMinutes,
    IsUsableOnce,
    PhoneNumber,
    PhoneType,
    EmailAddress,
    #[serde(other)]
    Other,
}

/// Reads a JSON string without keeping it: `read` sees it in place (no allocation unless it
/// holds escapes) and returns what is kept, or why the string is wrong.
pub(crate) fn read_str<'de, D, T>(
    d: D,
    read: impl FnOnce(&str) -> Result<T, String>,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
{
    struct V<F>(F);
    impl<T, F: FnOnce(&str) -> Result<T, String>> Visitor<'_> for V<F> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: de::Error>(self, s: &str) -> Result<T, E> {
            (self.0)(s).map_err(E::custom)
        }
    }
    d.deserialize_str(V(read))
}

/// A string that is checked and not kept (fields no rule reads).
struct CheckedStr;

impl<'de> Deserialize<'de> for CheckedStr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        read_str(d, |_| Ok(CheckedStr))
    }
}

/// One field's slot: set at most once (a key given twice is an error, as for every other
/// object in the export).
struct Slot<T>(Option<T>);

impl<T> Slot<T> {
    fn fill<'de, A: MapAccess<'de>>(
        &mut self,
        map: &mut A,
        name: &'static str,
    ) -> Result<(), A::Error>
    where
        T: Deserialize<'de>,
    {
        if self.0.is_some() {
            return Err(de::Error::duplicate_field(name));
        }
        self.0 = Some(map.next_value()?);
        Ok(())
    }
}

/// `Option` inside: the field may be absent or null.
type Nullable<T> = Slot<Option<T>>;

impl<T> Nullable<T> {
    fn get(self) -> Option<T> {
        self.0.flatten()
    }
}

struct MethodVisitor;

impl<'de> Visitor<'de> for MethodVisitor {
    type Value = Method;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an authentication method object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Method, A::Error> {
        let mut odata_type: Nullable<Text> = Slot(None);
        let mut id: Slot<Text> = Slot(None);
        let mut display_name: Nullable<Text> = Slot(None);
        let mut created: Nullable<Timestamp> = Slot(None);
        let mut creation: Nullable<Timestamp> = Slot(None);
        let mut last_used: Nullable<Timestamp> = Slot(None);
        let mut aa_guid: Nullable<Aaguid> = Slot(None);
        let mut model: Nullable<CheckedStr> = Slot(None);
        let mut certificates: Nullable<Vec<CheckedStr>> = Slot(None);
        let mut attestation: Nullable<AttestationLevel> = Slot(None);
        let mut passkey_type: Nullable<PasskeyType> = Slot(None);
        let mut is_usable: Nullable<bool> = Slot(None);
        let mut reason: Nullable<Text> = Slot(None);
        let mut start: Nullable<Timestamp> = Slot(None);
        let mut lifetime: Nullable<i64> = Slot(None);
        let mut usable_once: Nullable<bool> = Slot(None);
        let mut phone_number: Nullable<Text> = Slot(None);
        let mut phone_type: Nullable<Text> = Slot(None);
        let mut email: Nullable<Text> = Slot(None);
        while let Some(field) = map.next_key::<Field>()? {
            match field {
                Field::ODataType => odata_type.fill(&mut map, "@odata.type")?,
                Field::Id => id.fill(&mut map, "id")?,
                Field::DisplayName => display_name.fill(&mut map, "displayName")?,
                Field::CreatedDateTime => created.fill(&mut map, "createdDateTime")?,
                Field::CreationDateTime => creation.fill(&mut map, "creationDateTime")?,
                Field::LastUsedDateTime => last_used.fill(&mut map, "lastUsedDateTime")?,
                Field::AaGuid => aa_guid.fill(&mut map, "aaGuid")?,
                Field::Model => model.fill(&mut map, "model")?,
                Field::AttestationCertificates => {
                    certificates.fill(&mut map, "attestationCertificates")?
                }
                Field::AttestationLevel => attestation.fill(&mut map, "attestationLevel")?,
                Field::PasskeyType => passkey_type.fill(&mut map, "passkeyType")?,
                Field::IsUsable => is_usable.fill(&mut map, "isUsable")?,
                Field::MethodUsabilityReason => reason.fill(&mut map, "methodUsabilityReason")?,
                Field::StartDateTime => start.fill(&mut map, "startDateTime")?,
                Field::LifetimeInMinutes => lifetime.fill(&mut map, "lifetimeInMinutes")?,
                Field::IsUsableOnce => usable_once.fill(&mut map, "isUsableOnce")?,
                Field::PhoneNumber => phone_number.fill(&mut map, "phoneNumber")?,
                Field::PhoneType => phone_type.fill(&mut map, "phoneType")?,
                Field::EmailAddress => email.fill(&mut map, "emailAddress")?,
                Field::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let id = id.0.ok_or_else(|| de::Error::missing_field("id"))?;
        let odata_type = odata_type.get();
        let kind = odata_type.as_deref().map(MethodKind::from_odata_type);
        let detail = match kind {
            // A passkey may name no type in fido2Methods, the one list that holds only passkeys.
            Some(MethodKind::Fido2) | None => Detail::Passkey(Passkey {
                aa_guid: aa_guid.get(),
                attestation: attestation.get(),
                passkey_type: passkey_type.get(),
                credential_id: Box::default(),
            }),
            Some(MethodKind::TemporaryAccessPass) => {
                Detail::TemporaryAccessPass(Box::new(TemporaryAccessPass {
                    is_usable: is_usable.get(),
                    usability_reason: reason.get(),
                    start: start.get(),
                    lifetime_minutes: lifetime.get(),
                }))
            }
            Some(MethodKind::Phone) => Detail::Phone {
                phone_type: phone_type.get(),
                number: phone_number.get(),
            },
            Some(MethodKind::Email) => Detail::Email {
                address: email.get(),
            },
            Some(MethodKind::Unknown) => Detail::Unknown {
                odata_type: odata_type.unwrap_or_default(),
            },
            Some(_) => Detail::None,
        };
        // Both spellings of the registration date in one method must agree.
        let (created, created_field) = match (created.get(), creation.get()) {
            (Some(a), Some(b)) if a != b => {
                return Err(de::Error::custom(format!(
                    "createdDateTime {a} and creationDateTime {b} give one method two registration dates"
                )))
            }
            (Some(a), _) => (Some(a), DateField::CreatedDateTime),
            (None, Some(b)) => (Some(b), DateField::CreationDateTime),
            (None, None) => (None, DateField::CreatedDateTime),
        };
        Ok(Method {
            kind,
            id,
            display_name: display_name.get(),
            created,
            created_field,
            last_used: last_used.get(),
            detail,
        })
    }
}

impl<'de> Deserialize<'de> for Method {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(MethodVisitor)
    }
}

/// A JSON array of at most `N` entries: an export is untrusted, and a list far longer than any
/// account holds is refused while it is read, not after it filled memory.
#[derive(Debug, Clone)]
pub struct Bounded<T, const N: usize>(pub Vec<T>);

impl<T, const N: usize> std::ops::Deref for Bounded<T, N> {
    type Target = Vec<T>;
    fn deref(&self) -> &Vec<T> {
        &self.0
    }
}

impl<T, const N: usize> Default for Bounded<T, N> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>, const N: usize> Deserialize<'de> for Bounded<T, N> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T, const N: usize>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>, const N: usize> Visitor<'de> for V<T, N> {
            type Value = Bounded<T, N>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "an array of at most {N} entries")
            }
            fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Self::Value, S::Error> {
                // Room for an account's usual handful of methods in one allocation.
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(16).min(N));
                while let Some(v) = seq.next_element()? {
                    if out.len() == N {
                        return Err(de::Error::custom(format!(
                            "the list holds more than {N} entries, more than any account has: this is not an export from `glasskey entra script`"
                        )));
                    }
                    out.push(v);
                }
                // JSON gives no length up front; the doubling's slack would stay for good.
                out.shrink_to_fit();
                Ok(Bounded(out))
            }
        }
        d.deserialize_seq(V(std::marker::PhantomData))
    }
}
