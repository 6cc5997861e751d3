//! A buffered JSON document that can be deserialized more than once.
//!
//! The provider event types must never fail on a JSON object: when the typed shape does not
//! fit, the whole document comes through as a raw [`Value`]. A streaming deserializer can be
//! read only once, so the document is first buffered here and then read as the typed shape;
//! only when that fails is it converted to a `Value`.
//!
//! Buffering into [`Content`] rather than straight into a `Value` is what keeps the typed
//! parse cheap: object keys and unescaped strings borrow from the input (no allocation), and
//! objects are plain vectors rather than ordered maps. Typed fields are then read from the
//! buffer by [`ContentRef`], a `Deserializer` over `&Content`.

use std::borrow::Cow;
use std::fmt;

use serde::de::value::{BorrowedStrDeserializer, Error as ContentError, StrDeserializer};
use serde::de::{
    self, Deserialize, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess,
    Visitor,
};
use serde::forward_to_deserialize_any;
use serde_json::{Map, Number, Value};

/// One JSON value, strings and keys borrowed from the input where possible.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Content<'de> {
    Null,
    Bool(bool),
    U64(u64),
    I64(i64),
    F64(f64),
    Str(Cow<'de, str>),
    Seq(Vec<Content<'de>>),
    /// Members in input order; duplicate keys are kept (the last one wins in [`Self::into_value`]).
    Map(Vec<(Cow<'de, str>, Content<'de>)>),
}

impl<'de> Content<'de> {
    /// The members, when this is an object.
    pub(crate) fn as_map(&self) -> Option<&[(Cow<'de, str>, Content<'de>)]> {
        match self {
            Content::Map(members) => Some(members),
            _ => None,
        }
    }

    /// The string, when this is one.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Content::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The same document as a `serde_json::Value` (for duplicate keys the last one wins, as
    /// in `serde_json` and Python's `json.loads`).
    pub(crate) fn into_value(self) -> Value {
        match self {
            Content::Null => Value::Null,
            Content::Bool(b) => Value::Bool(b),
            Content::U64(n) => Value::Number(n.into()),
            Content::I64(n) => Value::Number(n.into()),
            Content::F64(n) => Number::from_f64(n).map_or(Value::Null, Value::Number),
            Content::Str(s) => Value::String(s.into_owned()),
            Content::Seq(items) => {
                Value::Array(items.into_iter().map(Content::into_value).collect())
            }
            Content::Map(members) => {
                let mut map = Map::new();
                for (key, value) in members {
                    map.insert(key.into_owned(), value.into_value());
                }
                Value::Object(map)
            }
        }
    }

    /// What this is, for an "invalid type" error.
    pub(crate) fn unexpected(&self) -> de::Unexpected<'_> {
        match self {
            Content::Null => de::Unexpected::Unit,
            Content::Bool(b) => de::Unexpected::Bool(*b),
            Content::U64(n) => de::Unexpected::Unsigned(*n),
            Content::I64(n) => de::Unexpected::Signed(*n),
            Content::F64(n) => de::Unexpected::Float(*n),
            Content::Str(s) => de::Unexpected::Str(s),
            Content::Seq(_) => de::Unexpected::Seq,
            Content::Map(_) => de::Unexpected::Map,
        }
    }

    /// A deserializer reading this document.
    pub(crate) fn deserializer<'a>(&'a self) -> ContentRef<'a, 'de> {
        ContentRef(self)
    }
}

/// The value of the last member named `key`, when `members` has one.
pub(crate) fn member<'a, 'de>(
    members: &'a [(Cow<'de, str>, Content<'de>)],
    key: &str,
) -> Option<&'a Content<'de>> {
    members
        .iter()
        .rev()
        .find(|(name, _)| name == key)
        .map(|(_, value)| value)
}

/// Buffers a document that must be a JSON object: anything else is the one error the event
/// types return.
pub(crate) fn object<'de, D: Deserializer<'de>>(
    deserializer: D,
    expecting: &'static str,
) -> Result<Content<'de>, D::Error> {
    let body = Content::deserialize(deserializer)?;
    if body.as_map().is_none() {
        return Err(de::Error::invalid_type(body.unexpected(), &expecting));
    }
    Ok(body)
}

/// Logs why a delivery comes through as its provider's raw variant.
pub(crate) fn warn_unknown(provider: &str, event_type: Option<&str>, error: Option<&ContentError>) {
    let event_type = event_type.unwrap_or("<missing>");
    match error {
        None => tracing::warn!(
            provider,
            event_type,
            "unknown {provider} event type; passing the event on raw"
        ),
        Some(error) => tracing::warn!(
            provider,
            event_type,
            %error,
            "{provider} event does not fit its documented shape; passing the event on raw"
        ),
    }
}

/// Reads a `T` from `content`.
pub(crate) fn read<'de, T: Deserialize<'de>>(content: &Content<'de>) -> Result<T, ContentError> {
    T::deserialize(content.deserializer())
}

impl<'de> Deserialize<'de> for Content<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ContentVisitor)
    }
}

struct ContentVisitor;

impl<'de> Visitor<'de> for ContentVisitor {
    type Value = Content<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Content::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Content::I64(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Content::U64(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Content::F64(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Content::Str(Cow::Owned(v.to_owned())))
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Content::Str(Cow::Borrowed(v)))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Content::Str(Cow::Owned(v)))
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Content::Null)
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Content::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Content::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members = Vec::with_capacity(map.size_hint().unwrap_or(8).min(64));
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let value = map.next_value()?;
            members.push((key, value));
        }
        Ok(Content::Map(members))
    }
}

/// An object key: a string, borrowed when the input allows it.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

/// A `Deserializer` reading a buffered [`Content`] without consuming it.
#[derive(Clone, Copy)]
pub(crate) struct ContentRef<'a, 'de>(&'a Content<'de>);

impl<'a, 'de> Deserializer<'de> for ContentRef<'a, 'de> {
    type Error = ContentError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Content::Null => visitor.visit_unit(),
            Content::Bool(b) => visitor.visit_bool(*b),
            Content::U64(n) => visitor.visit_u64(*n),
            Content::I64(n) => visitor.visit_i64(*n),
            Content::F64(n) => visitor.visit_f64(*n),
            Content::Str(Cow::Borrowed(s)) => visitor.visit_borrowed_str(s),
            Content::Str(Cow::Owned(s)) => visitor.visit_str(s),
            Content::Seq(items) => visitor.visit_seq(SeqRef {
                items: items.iter(),
            }),
            Content::Map(members) => visitor.visit_map(MapRef {
                members: members.iter(),
                value: None,
            }),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Content::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        // Unit variants written as strings, the only enum form the event types use.
        match self.0 {
            Content::Str(s) => visitor.visit_enum(s.as_ref().into_deserializer()),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_unit()
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier
    }
}

struct SeqRef<'a, 'de> {
    items: std::slice::Iter<'a, Content<'de>>,
}

impl<'a, 'de> SeqAccess<'de> for SeqRef<'a, 'de> {
    type Error = ContentError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Self::Error> {
        self.items
            .next()
            .map(|item| seed.deserialize(ContentRef(item)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct MapRef<'a, 'de> {
    members: std::slice::Iter<'a, (Cow<'de, str>, Content<'de>)>,
    value: Option<&'a Content<'de>>,
}

impl<'a, 'de> MapAccess<'de> for MapRef<'a, 'de> {
    type Error = ContentError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        let Some((key, value)) = self.members.next() else {
            return Ok(None);
        };
        self.value = Some(value);
        match key {
            Cow::Borrowed(key) => seed
                .deserialize(BorrowedStrDeserializer::new(key))
                .map(Some),
            Cow::Owned(key) => seed
                .deserialize(StrDeserializer::<ContentError>::new(key))
                .map(Some),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Self::Error> {
        match self.value.take() {
            Some(value) => seed.deserialize(ContentRef(value)),
            None => Err(de::Error::custom("value requested before its key")),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.members.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn borrows_keys_and_plain_strings_and_converts_back_to_value() {
        let input = r#"{"a": "plain", "b": "esc\"aped", "c": [1, -2, 1.5, true, null], "a": {}}"#;
        let content: Content<'_> = serde_json::from_str(input).unwrap();
        let members = content.as_map().unwrap();
        assert!(matches!(members[0].0, Cow::Borrowed("a")));
        assert!(matches!(members[0].1, Content::Str(Cow::Borrowed("plain"))));
        assert!(matches!(members[1].1, Content::Str(Cow::Owned(_))));
        // the last duplicate wins, as in serde_json
        assert_eq!(member(members, "a"), Some(&Content::Map(Vec::new())));
        let value = content.into_value();
        assert_eq!(value, serde_json::from_str::<Value>(input).unwrap());
    }

    #[test]
    fn typed_reads_do_not_consume_the_buffer() {
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct Shape {
            n: i64,
            s: Option<String>,
            list: Vec<u8>,
        }
        let content: Content<'_> =
            serde_json::from_str(r#"{"n": 3, "s": null, "list": [1, 2], "extra": {"x": 1}}"#)
                .unwrap();
        let shape: Shape = read(&content).unwrap();
        assert_eq!(
            shape,
            Shape {
                n: 3,
                s: None,
                list: vec![1, 2]
            }
        );
        // a mismatch is an error, and the buffer is still whole
        let mismatch: Result<Vec<String>, _> = read(&content);
        assert!(mismatch.is_err());
        assert_eq!(content.into_value()["extra"]["x"], 1);
    }
}
