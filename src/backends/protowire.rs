//! The protobuf wire format, read field by field (pure): what the ONNX
//! header reader and the simulated cluster's protobuf decoder share.
//! Neither needs generated types, only the fields they know.

/// One field's payload, by wire type (fixed-width payloads are skipped).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Wire<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WireError {
    #[error("truncated message")]
    Truncated,
    #[error("truncated varint")]
    TruncatedVarint,
    #[error("varint overflows 64 bits")]
    Overflow,
    #[error("invalid field number {0}")]
    FieldNumber(u64),
    #[error("unsupported wire type {wire} (field {field})")]
    WireType { wire: u64, field: u64 },
}

/// Reads fields off the front of a message; never reads past its slice.
pub struct Fields<'a>(&'a [u8]);

impl<'a> Fields<'a> {
    pub fn new(bytes: &'a [u8]) -> Fields<'a> {
        Fields(bytes)
    }

    fn varint(&mut self) -> Result<u64, WireError> {
        let mut value = 0u64;
        for i in 0..10 {
            let (&byte, rest) = self.0.split_first().ok_or(WireError::TruncatedVarint)?;
            self.0 = rest;
            if i == 9 && byte > 1 {
                return Err(WireError::Overflow);
            }
            value |= u64::from(byte & 0x7f) << (7 * i);
            if byte < 0x80 {
                return Ok(value);
            }
        }
        Err(WireError::Overflow)
    }

    fn take(&mut self, n: u64) -> Result<&'a [u8], WireError> {
        let n = usize::try_from(n).unwrap_or(usize::MAX);
        if n > self.0.len() {
            return Err(WireError::Truncated);
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    /// The next field number and payload, or None at the end of the message.
    pub fn field(&mut self) -> Result<Option<(u64, Wire<'a>)>, WireError> {
        if self.0.is_empty() {
            return Ok(None);
        }
        let key = self.varint()?;
        let field = key >> 3;
        if field == 0 || field > 0x1fff_ffff {
            return Err(WireError::FieldNumber(field));
        }
        let wire = match key & 7 {
            0 => Wire::Varint(self.varint()?),
            1 => self.take(8).map(|_| Wire::Fixed)?,
            2 => {
                let len = self.varint()?;
                Wire::Bytes(self.take(len)?)
            }
            5 => self.take(4).map(|_| Wire::Fixed)?,
            wire => return Err(WireError::WireType { wire, field }),
        };
        Ok(Some((field, wire)))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn fields_are_read_in_order_and_damage_is_named() {
        // field 1 varint 150, field 2 bytes "hi", field 3 fixed32
        let bytes = [0x08, 0x96, 0x01, 0x12, 0x02, b'h', b'i', 0x1d, 0, 0, 0, 0];
        let mut f = Fields::new(&bytes);
        assert_eq!(f.field().unwrap(), Some((1, Wire::Varint(150))));
        assert_eq!(f.field().unwrap(), Some((2, Wire::Bytes(b"hi"))));
        assert_eq!(f.field().unwrap(), Some((3, Wire::Fixed)));
        assert_eq!(f.field().unwrap(), None);
        assert_eq!(Fields::new(&[0x12, 0x05, b'h']).field(), Err(WireError::Truncated));
        assert_eq!(
            Fields::new(&[0x0b]).field(),
            Err(WireError::WireType { wire: 3, field: 1 })
        );
        assert_eq!(Fields::new(&[0x00]).field(), Err(WireError::FieldNumber(0)));
        assert_eq!(Fields::new(&[0xff; 11]).field(), Err(WireError::Overflow));
    }
}
