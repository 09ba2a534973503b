//! Bounded CBOR decoding and typed access to CTAP2's integer-keyed maps.
//!
//! Replies come from devices we do not trust: nesting is bounded, trailing bytes and duplicate
//! map keys are rejected, and every field access checks its type.

pub use ciborium::Value;

/// CTAP2 structures nest at most four or five levels (e.g. credential → user → id); 16 leaves
/// room while keeping a hostile reply from exhausting the stack.
pub const MAX_DEPTH: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CborError {
    #[error("malformed CBOR: {0}")]
    Malformed(String),
    #[error("CBOR nested deeper than {MAX_DEPTH} levels")]
    TooDeep,
    #[error("CBOR map has the key {0} twice")]
    DuplicateKey(String),
    #[error("{0} bytes after the end of the CBOR item")]
    TrailingBytes(usize),
    #[error("field {field} should be {expected}")]
    WrongType {
        field: String,
        expected: &'static str,
    },
    #[error("required field {0} is missing")]
    Missing(String),
}

/// Decodes exactly one CBOR item that must fill `bytes`.
pub fn decode(bytes: &[u8]) -> Result<Value, CborError> {
    let mut rest = bytes;
    let value = decode_prefix(&mut rest)?;
    if !rest.is_empty() {
        return Err(CborError::TrailingBytes(rest.len()));
    }
    Ok(value)
}

/// Decodes one CBOR item from the front of `input` and advances it past the item.
pub fn decode_prefix(input: &mut &[u8]) -> Result<Value, CborError> {
    let value: Value = ciborium::de::from_reader_with_recursion_limit(&mut *input, MAX_DEPTH)
        .map_err(|e| match e {
            ciborium::de::Error::RecursionLimitExceeded => CborError::TooDeep,
            ciborium::de::Error::Io(_) => {
                CborError::Malformed("the reply ends in the middle of a CBOR item".into())
            }
            ciborium::de::Error::Syntax(at) => {
                CborError::Malformed(format!("invalid CBOR at byte {at}"))
            }
            ciborium::de::Error::Semantic(Some(at), why) => {
                CborError::Malformed(format!("{why} at byte {at}"))
            }
            ciborium::de::Error::Semantic(None, why) => CborError::Malformed(why),
        })?;
    check(&value, 0)?;
    Ok(value)
}

fn check(value: &Value, depth: usize) -> Result<(), CborError> {
    if depth > MAX_DEPTH {
        return Err(CborError::TooDeep);
    }
    match value {
        Value::Map(entries) => {
            for (i, (key, v)) in entries.iter().enumerate() {
                if entries[..i].iter().any(|(k, _)| k == key) {
                    return Err(CborError::DuplicateKey(describe_key(key)));
                }
                check(key, depth + 1)?;
                check(v, depth + 1)?;
            }
        }
        Value::Array(items) => {
            for v in items {
                check(v, depth + 1)?;
            }
        }
        Value::Tag(_, inner) => check(inner, depth + 1)?,
        _ => {}
    }
    Ok(())
}

fn describe_key(key: &Value) -> String {
    match key {
        Value::Integer(i) => i128::from(*i).to_string(),
        Value::Text(t) => format!("{t:?}"),
        _ => "(non-scalar)".into(),
    }
}

pub fn encode(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = ciborium::ser::into_writer(value, &mut out);
    out
}

pub fn int(i: i64) -> Value {
    Value::Integer(i.into())
}

pub fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

pub fn bytes(b: &[u8]) -> Value {
    Value::Bytes(b.to_vec())
}

/// Builds an integer-keyed map, skipping absent fields; keys must be given in ascending order
/// (CTAP2 canonical form).
pub fn int_map(entries: Vec<(i64, Option<Value>)>) -> Value {
    Value::Map(
        entries
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (int(k), v)))
            .collect(),
    )
}

pub fn as_i64(value: &Value) -> Option<i64> {
    match value {
        Value::Integer(i) => i64::try_from(i128::from(*i)).ok(),
        _ => None,
    }
}

/// Any CBOR unsigned integer, up to 2^64 − 1: a count too large for an i64 is still a count,
/// to be judged against the spec's range by whoever reads it, not called the wrong type.
pub fn as_u64(value: &Value) -> Option<u64> {
    match value {
        Value::Integer(i) => u64::try_from(i128::from(*i)).ok(),
        _ => None,
    }
}

/// Read access to a map keyed by integers or text, with the field name used in errors.
pub struct Fields<'a> {
    entries: &'a [(Value, Value)],
    context: &'static str,
}

impl<'a> Fields<'a> {
    pub fn new(value: &'a Value, context: &'static str) -> Result<Self, CborError> {
        match value {
            Value::Map(entries) => Ok(Self { entries, context }),
            _ => Err(CborError::WrongType {
                field: context.into(),
                expected: "a map",
            }),
        }
    }

    pub fn entries(&self) -> &'a [(Value, Value)] {
        self.entries
    }

    pub fn get(&self, key: i64) -> Option<&'a Value> {
        self.entries
            .iter()
            .find(|(k, _)| as_i64(k) == Some(key))
            .map(|(_, v)| v)
    }

    pub fn get_text_key(&self, key: &str) -> Option<&'a Value> {
        self.entries
            .iter()
            .find(|(k, _)| k.as_text() == Some(key))
            .map(|(_, v)| v)
    }

    fn wrong(&self, key: impl std::fmt::Display, expected: &'static str) -> CborError {
        CborError::WrongType {
            field: format!("{}.{}", self.context, key),
            expected,
        }
    }

    pub fn missing(&self, key: impl std::fmt::Display) -> CborError {
        CborError::Missing(format!("{}.{}", self.context, key))
    }

    pub fn uint(&self, key: i64) -> Result<Option<u64>, CborError> {
        self.get(key)
            .map(|v| as_u64(v).ok_or_else(|| self.wrong(key, "an unsigned integer")))
            .transpose()
    }

    pub fn int(&self, key: i64) -> Result<Option<i64>, CborError> {
        self.get(key)
            .map(|v| as_i64(v).ok_or_else(|| self.wrong(key, "an integer")))
            .transpose()
    }

    pub fn bool(&self, key: i64) -> Result<Option<bool>, CborError> {
        self.get(key)
            .map(|v| v.as_bool().ok_or_else(|| self.wrong(key, "a boolean")))
            .transpose()
    }

    pub fn bytes(&self, key: i64) -> Result<Option<&'a [u8]>, CborError> {
        self.get(key)
            .map(|v| {
                v.as_bytes()
                    .map(Vec::as_slice)
                    .ok_or_else(|| self.wrong(key, "a byte string"))
            })
            .transpose()
    }

    pub fn text(&self, key: i64) -> Result<Option<&'a str>, CborError> {
        self.get(key)
            .map(|v| v.as_text().ok_or_else(|| self.wrong(key, "a text string")))
            .transpose()
    }

    pub fn array(&self, key: i64) -> Result<Option<&'a [Value]>, CborError> {
        self.get(key)
            .map(|v| {
                v.as_array()
                    .map(Vec::as_slice)
                    .ok_or_else(|| self.wrong(key, "an array"))
            })
            .transpose()
    }

    pub fn map(&self, key: i64) -> Result<Option<&'a Value>, CborError> {
        self.get(key)
            .map(|v| {
                if v.is_map() {
                    Ok(v)
                } else {
                    Err(self.wrong(key, "a map"))
                }
            })
            .transpose()
    }

    pub fn text_array(&self, key: i64) -> Result<Option<Vec<String>>, CborError> {
        self.array(key)?
            .map(|items| {
                items
                    .iter()
                    .map(|v| {
                        v.as_text()
                            .map(str::to_owned)
                            .ok_or_else(|| self.wrong(key, "an array of text strings"))
                    })
                    .collect()
            })
            .transpose()
    }

    pub fn uint_array(&self, key: i64) -> Result<Option<Vec<u64>>, CborError> {
        self.array(key)?
            .map(|items| {
                items
                    .iter()
                    .map(|v| {
                        as_u64(v).ok_or_else(|| self.wrong(key, "an array of unsigned integers"))
                    })
                    .collect()
            })
            .transpose()
    }

    pub fn text_field(&self, key: &str) -> Result<Option<&'a str>, CborError> {
        self.get_text_key(key)
            .map(|v| v.as_text().ok_or_else(|| self.wrong(key, "a text string")))
            .transpose()
    }

    pub fn bytes_field(&self, key: &str) -> Result<Option<&'a [u8]>, CborError> {
        self.get_text_key(key)
            .map(|v| {
                v.as_bytes()
                    .map(Vec::as_slice)
                    .ok_or_else(|| self.wrong(key, "a byte string"))
            })
            .transpose()
    }

    /// The integer keys present in the map, for reporting fields a newer key sends.
    pub fn int_keys(&self) -> Vec<i64> {
        self.entries.iter().filter_map(|(k, _)| as_i64(k)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_keys_are_rejected() {
        // {1: 1, 1: 2}
        assert_eq!(
            decode(&[0xA2, 0x01, 0x01, 0x01, 0x02]),
            Err(CborError::DuplicateKey("1".into()))
        );
    }

    #[test]
    fn trailing_bytes_are_rejected() {
        assert_eq!(decode(&[0x01, 0x02]), Err(CborError::TrailingBytes(1)));
    }

    #[test]
    fn deep_nesting_is_rejected() {
        let mut deep = vec![0x81u8; 100];
        deep.push(0x01);
        assert_eq!(decode(&deep), Err(CborError::TooDeep));
        let mut ok = vec![0x81u8; 5];
        ok.push(0x01);
        assert!(decode(&ok).is_ok());
    }

    #[test]
    fn truncated_input_is_malformed() {
        // A byte string announcing 4 bytes with only 2 present.
        assert!(matches!(
            decode(&[0x44, 0x01, 0x02]),
            Err(CborError::Malformed(_))
        ));
    }

    #[test]
    fn huge_announced_length_does_not_allocate_or_panic() {
        // A byte string claiming 2^32 bytes, and a map claiming 2^32 entries.
        assert!(decode(&[0x5A, 0xFF, 0xFF, 0xFF, 0xFF, 0x00]).is_err());
        assert!(decode(&[0xBA, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]).is_err());
    }

    #[test]
    fn wrong_types_name_the_field() {
        let v = decode(&[0xA1, 0x03, 0x61, 0x61]).unwrap(); // {3: "a"}
        let f = Fields::new(&v, "getInfo").unwrap();
        assert_eq!(
            f.uint(3),
            Err(CborError::WrongType {
                field: "getInfo.3".into(),
                expected: "an unsigned integer"
            })
        );
        assert_eq!(f.uint(4), Ok(None));
    }

    #[test]
    fn the_largest_unsigned_integer_is_read_as_one() {
        let v = Value::Map(vec![
            (int(5), Value::Integer(u64::MAX.into())),
            (int(6), int(-1)),
        ]);
        let f = Fields::new(&v, "reply").unwrap();
        assert_eq!(f.uint(5), Ok(Some(u64::MAX)));
        assert!(f.uint(6).is_err());
    }
}
