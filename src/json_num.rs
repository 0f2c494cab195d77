//! Numbers in the JSON Volscope writes (session files, the autosave, fit.json): one representation for every
//! `f64`, finite or not, that reads back to the same value.
//!
//! JSON has no NaN or infinity, and serde_json writes both as `null`, which it then refuses to read into an
//! `f64`. Volscope writes:
//! - a finite number as a JSON number (shortest form that round-trips; read with serde_json's
//!   `float_roundtrip`, so every bit comes back);
//! - NaN ("not available": the statistics of a failed fit) as `null`;
//! - +∞ and −∞ as the strings `"inf"` and `"-inf"`.
//!
//! The CSV exports follow the same rule: NaN is an empty cell, infinities are `inf` and `-inf`.
//! Reading also accepts `"NaN"`, `"+inf"`, `"infinity"` and `"-infinity"` (any case). An `Option<f64>` is `null`
//! when it is `None`; a `Some(NaN)` is written as `null` too and so reads back as `None`.
//!
//! Use it on a field with `#[serde(with = "crate::json_num")]`; it serves `f64`, `Option<f64>`, `Vec<f64>`,
//! `(f64, f64)`, `Option<(f64, f64)>`, `Vec<(f64, f64)>` and maps whose values are any of these.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One `f64` in Volscope's JSON representation (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Num(pub f64);

impl Serialize for Num {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let x = self.0;
        if x.is_finite() {
            s.serialize_f64(x)
        } else if x.is_nan() {
            s.serialize_unit()
        } else if x > 0.0 {
            s.serialize_str("inf")
        } else {
            s.serialize_str("-inf")
        }
    }
}

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NumVisitor)
    }
}

struct NumVisitor;

impl serde::de::Visitor<'_> for NumVisitor {
    type Value = Num;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a number, null (NaN), or \"inf\" / \"-inf\"")
    }

    fn visit_f64<E>(self, x: f64) -> Result<Num, E> {
        Ok(Num(x))
    }

    fn visit_i64<E>(self, x: i64) -> Result<Num, E> {
        Ok(Num(x as f64))
    }

    fn visit_u64<E>(self, x: u64) -> Result<Num, E> {
        Ok(Num(x as f64))
    }

    fn visit_unit<E>(self) -> Result<Num, E> {
        Ok(Num(f64::NAN))
    }

    fn visit_none<E>(self) -> Result<Num, E> {
        Ok(Num(f64::NAN))
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Num, E> {
        match s.trim().to_ascii_lowercase().as_str() {
            "inf" | "+inf" | "infinity" | "+infinity" => Ok(Num(f64::INFINITY)),
            "-inf" | "-infinity" => Ok(Num(f64::NEG_INFINITY)),
            "nan" => Ok(Num(f64::NAN)),
            _ => Err(E::invalid_value(serde::de::Unexpected::Str(s), &self)),
        }
    }
}

/// A type whose numbers are written in Volscope's representation: it maps to a mirror made of [`Num`]s.
pub trait JsonNum: Sized {
    /// The mirror written and read.
    type Repr: Serialize + for<'de> Deserialize<'de>;
    /// To the mirror.
    fn to_repr(&self) -> Self::Repr;
    /// From the mirror.
    fn from_repr(repr: Self::Repr) -> Self;
}

impl JsonNum for f64 {
    type Repr = Num;
    fn to_repr(&self) -> Num {
        Num(*self)
    }
    fn from_repr(repr: Num) -> f64 {
        repr.0
    }
}

impl<A: JsonNum, B: JsonNum> JsonNum for (A, B) {
    type Repr = (A::Repr, B::Repr);
    fn to_repr(&self) -> Self::Repr {
        (self.0.to_repr(), self.1.to_repr())
    }
    fn from_repr(repr: Self::Repr) -> Self {
        (A::from_repr(repr.0), B::from_repr(repr.1))
    }
}

impl<T: JsonNum> JsonNum for Option<T> {
    type Repr = Option<T::Repr>;
    fn to_repr(&self) -> Self::Repr {
        self.as_ref().map(T::to_repr)
    }
    fn from_repr(repr: Self::Repr) -> Self {
        repr.map(T::from_repr)
    }
}

impl<T: JsonNum> JsonNum for Vec<T> {
    type Repr = Vec<T::Repr>;
    fn to_repr(&self) -> Self::Repr {
        self.iter().map(T::to_repr).collect()
    }
    fn from_repr(repr: Self::Repr) -> Self {
        repr.into_iter().map(T::from_repr).collect()
    }
}

impl<K, T> JsonNum for BTreeMap<K, T>
where
    K: Ord + Clone + Serialize + for<'de> Deserialize<'de>,
    T: JsonNum,
{
    type Repr = BTreeMap<K, T::Repr>;
    fn to_repr(&self) -> Self::Repr {
        self.iter().map(|(k, v)| (k.clone(), v.to_repr())).collect()
    }
    fn from_repr(repr: Self::Repr) -> Self {
        repr.into_iter().map(|(k, v)| (k, T::from_repr(v))).collect()
    }
}

/// Writes `value` in Volscope's representation (for `#[serde(with = "crate::json_num")]`).
pub fn serialize<T: JsonNum, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
    value.to_repr().serialize(s)
}

/// Reads `value` in Volscope's representation (for `#[serde(with = "crate::json_num")]`).
pub fn deserialize<'de, T: JsonNum, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
    T::Repr::deserialize(d).map(T::from_repr)
}

/// A JSON value of `x` in Volscope's representation (for documents built with `serde_json::json!`).
pub fn value(x: f64) -> serde_json::Value {
    serde_json::to_value(Num(x)).unwrap_or(serde_json::Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Serialize, Deserialize)]
    struct Doc {
        #[serde(with = "crate::json_num")]
        x: f64,
        #[serde(with = "crate::json_num")]
        o: Option<f64>,
        #[serde(with = "crate::json_num")]
        m: BTreeMap<String, (f64, f64)>,
    }

    #[test]
    fn non_finite_numbers_have_one_representation_that_reads_back() {
        for (x, text) in
            [(f64::NAN, "null"), (f64::INFINITY, "\"inf\""), (f64::NEG_INFINITY, "\"-inf\""), (-0.0, "-0.0")]
        {
            let json = serde_json::to_string(&Num(x)).unwrap();
            assert_eq!(json, text);
            let back: Num = serde_json::from_str(&json).unwrap();
            assert_eq!(format!("{:?}", back.0), format!("{x:?}"));
        }
        let doc = Doc { x: f64::NAN, o: Some(f64::INFINITY), m: [("b".into(), (f64::NEG_INFINITY, 0.1))].into() };
        let json = serde_json::to_string(&doc).unwrap();
        assert_eq!(json, r#"{"x":null,"o":"inf","m":{"b":["-inf",0.1]}}"#);
        let back: Doc = serde_json::from_str(&json).unwrap();
        assert_eq!(format!("{back:?}"), format!("{doc:?}"));
    }

    #[test]
    fn other_spellings_read_and_junk_is_an_error() {
        let back: Doc = serde_json::from_str(r#"{"x":"NaN","o":null,"m":{"a":["-Infinity", 3]}}"#).unwrap();
        assert!(back.x.is_nan() && back.o.is_none() && back.m["a"] == (f64::NEG_INFINITY, 3.0));
        let err = serde_json::from_str::<Doc>(r#"{"x":"lots","o":null,"m":{}}"#).unwrap_err();
        assert!(err.to_string().contains("inf"), "{err}");
    }
}
