//! Newtypes and enums that parse, not validate: once a value has one of
//! these types nothing downstream checks it again. Pure: this module imports
//! nothing from `api` or `db`.

pub mod geo;
pub mod household;
pub mod id_number;
pub mod region;
pub mod role;
pub mod visit;

pub use id_number::{IdNumber, Sex};
pub use region::{RegionCode, RegionLevel};
pub use role::Role;

/// A string enum with stable ASCII codes (the API) and Chinese labels (the card).
#[macro_export]
macro_rules! str_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $code:literal, $zh:literal;)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),* }
            }

            pub fn label_zh(self) -> &'static str {
                match self { $($name::$variant => $zh),* }
            }

            pub fn parse(s: &str) -> Option<$name> {
                match s { $($code => Some($name::$variant),)* _ => None }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                $name::parse(&s).ok_or_else(|| serde::de::Error::custom("unknown value"))
            }
        }
    };
}
