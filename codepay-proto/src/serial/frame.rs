//! The §12.2 frame: `55 AA | type | ack | id | len(2, BE) | data | xor | CC 33`.

use alloc::vec::Vec;

use crate::error::CodecError;

/// Start marker.
pub const STX: [u8; 2] = [0x55, 0xAA];
/// End marker.
pub const ETX: [u8; 2] = [0xCC, 0x33];
/// Bytes of a frame besides its data.
pub const OVERHEAD: usize = 10;
/// The largest frame the POS sends (spec §12.2).
pub const MAX_TX_FRAME: usize = 1024;
/// The largest payload the POS sends: 1024 − 10.
pub const MAX_TX_DATA: usize = MAX_TX_FRAME - OVERHEAD;
/// The default largest payload the decoder accepts (`serial_max_rx_data`).
pub const DEFAULT_MAX_RX_DATA: usize = 4096;

/// The frame type byte (spec §12.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameType {
    /// `00`: heartbeat, pure ACK or data.
    Normal,
    /// `01`: handshake.
    Handshake,
    /// `02`: handshake confirmation.
    Confirm,
}

impl FrameType {
    const fn byte(self) -> u8 {
        match self {
            Self::Normal => 0,
            Self::Handshake => 1,
            Self::Confirm => 2,
        }
    }

    const fn from_byte(b: u8) -> Option<Self> {
        match b {
            0 => Some(Self::Normal),
            1 => Some(Self::Handshake),
            2 => Some(Self::Confirm),
            _ => None,
        }
    }
}

/// One serial frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// The type.
    pub kind: FrameType,
    /// The ID of the last data frame received with a valid checksum, or 0.
    pub ack: u8,
    /// 1–255 for data, 0 otherwise.
    pub id: u8,
    /// The UTF-8 JSON payload; empty for control frames.
    pub data: Vec<u8>,
}

impl Frame {
    /// Builds a handshake.
    #[must_use]
    pub const fn handshake() -> Self {
        Self::control(FrameType::Handshake, 0)
    }

    /// Builds a handshake confirmation.
    #[must_use]
    pub const fn confirm() -> Self {
        Self::control(FrameType::Confirm, 0)
    }

    /// Builds a heartbeat.
    #[must_use]
    pub const fn heartbeat() -> Self {
        Self::control(FrameType::Normal, 0)
    }

    /// Builds a pure ACK of data frame `id`.
    #[must_use]
    pub const fn ack(id: u8) -> Self {
        Self::control(FrameType::Normal, id)
    }

    /// Builds a data frame.
    #[must_use]
    pub const fn data(id: u8, ack: u8, data: Vec<u8>) -> Self {
        Self {
            kind: FrameType::Normal,
            ack,
            id,
            data,
        }
    }

    const fn control(kind: FrameType, ack: u8) -> Self {
        Self {
            kind,
            ack,
            id: 0,
            data: Vec::new(),
        }
    }

    /// Returns true for a data frame.
    #[must_use]
    pub fn is_data(&self) -> bool {
        self.kind == FrameType::Normal && self.id != 0 && !self.data.is_empty()
    }

    /// Returns a short name: `handshake`, `confirm`, `heartbeat`, `ack` or `data`.
    #[must_use]
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            FrameType::Handshake => "handshake",
            FrameType::Confirm => "confirm",
            FrameType::Normal if self.is_data() => "data",
            FrameType::Normal if self.ack != 0 => "ack",
            FrameType::Normal => "heartbeat",
        }
    }

    /// Encodes the frame. Data longer than 65535 bytes is cut to the length field's limit;
    /// callers check [`MAX_TX_DATA`] before.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let data = self
            .data
            .get(..self.data.len().min(0xFFFF))
            .unwrap_or_default();
        let len = u16::try_from(data.len()).unwrap_or(u16::MAX).to_be_bytes();
        let mut out = Vec::with_capacity(data.len() + OVERHEAD);
        out.extend_from_slice(&STX);
        out.extend_from_slice(&[self.kind.byte(), self.ack, self.id, len[0], len[1]]);
        out.extend_from_slice(data);
        let check = out.iter().skip(2).fold(0u8, |acc, b| acc ^ b);
        out.push(check);
        out.extend_from_slice(&ETX);
        out
    }
}

/// Parses one frame at the start of `bytes` (spec §12.4).
///
/// Returns `Ok(None)` when more bytes are needed, `Ok(Some((frame, consumed)))` for a valid
/// frame.
///
/// # Errors
/// A [`CodecError`] when the bytes at the start are not a valid frame; the caller skips one
/// byte and hunts for the next `55 AA`.
pub fn parse_frame(bytes: &[u8], max_data: usize) -> Result<Option<(Frame, usize)>, CodecError> {
    match bytes {
        [] | [0x55] => return Ok(None),
        [a, b, ..] if [*a, *b] != STX => return Err(CodecError::NoStart),
        [a] if *a != 0x55 => return Err(CodecError::NoStart),
        _ => {}
    }
    if let Some(t) = bytes.get(2) {
        if FrameType::from_byte(*t).is_none() {
            return Err(CodecError::BadType(*t));
        }
    }
    let Some(header) = bytes.get(..7) else {
        return Ok(None);
    };
    let [_, _, kind, ack, id, hi, lo] = header else {
        return Ok(None);
    };
    let kind = FrameType::from_byte(*kind).ok_or(CodecError::BadType(*kind))?;
    let len = usize::from(u16::from_be_bytes([*hi, *lo]));
    if len > max_data {
        return Err(CodecError::TooLong { len, max: max_data });
    }
    let total = len + OVERHEAD;
    let Some(frame) = bytes.get(..total) else {
        return Ok(None);
    };
    let expected = frame
        .get(2..7 + len)
        .unwrap_or_default()
        .iter()
        .fold(0u8, |acc, b| acc ^ b);
    let found = frame.get(7 + len).copied().unwrap_or(0);
    if found != expected {
        return Err(CodecError::BadChecksum { found, expected });
    }
    if frame.get(8 + len..) != Some(&ETX[..]) {
        return Err(CodecError::BadEnd);
    }
    if kind != FrameType::Normal && (*id != 0 || len != 0) {
        return Err(CodecError::BadHeader {
            reason: "handshake frames carry no ID and no data",
        });
    }
    if (*id == 0) != (len == 0) {
        return Err(CodecError::BadHeader {
            reason: "a data frame needs an ID 1-255 and data",
        });
    }
    let data = frame.get(7..7 + len).unwrap_or_default().to_vec();
    Ok(Some((
        Frame {
            kind,
            ack: *ack,
            id: *id,
            data,
        },
        total,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        s.split_whitespace()
            .map(|b| u8::from_str_radix(b, 16).unwrap())
            .collect()
    }

    #[test]
    fn vector_1_control_frames() {
        assert_eq!(
            Frame::handshake().encode(),
            hex("55 AA 01 00 00 00 00 01 CC 33")
        );
        assert_eq!(
            Frame::confirm().encode(),
            hex("55 AA 02 00 00 00 00 02 CC 33")
        );
        assert_eq!(
            Frame::heartbeat().encode(),
            hex("55 AA 00 00 00 00 00 00 CC 33")
        );
        let (f, n) = parse_frame(&hex("55 AA 02 00 00 00 00 02 CC 33"), 4096)
            .unwrap()
            .unwrap();
        assert_eq!((f, n), (Frame::confirm(), 10));
    }

    #[test]
    fn vector_2_pure_ack_and_bad_checksum() {
        let good = hex("55 AA 00 2A 00 00 00 2A CC 33");
        assert_eq!(Frame::ack(0x2A).encode(), good);
        assert_eq!(
            parse_frame(&good, 4096).unwrap().unwrap().0.kind_name(),
            "ack"
        );
        let bad = hex("55 AA 00 2A 00 00 00 2B CC 33");
        assert_eq!(
            parse_frame(&bad, 4096),
            Err(CodecError::BadChecksum {
                found: 0x2B,
                expected: 0x2A
            })
        );
    }

    #[test]
    fn vector_3_data_frame() {
        let json = br#"{"topic":"ecrhub.pay.query","app_id":"wz0123456789abcdef","request_id":"a1","biz_data":{"merchant_order_no":"T1"}}"#;
        assert_eq!(json.len(), 114);
        let expected = hex(
            "55 AA 00 00 07 00 72 7B 22 74 6F 70 69 63 22 3A 22 65 63 72 68 75 62 2E 70 61 79 2E 71 75 65 72 79
             22 2C 22 61 70 70 5F 69 64 22 3A 22 77 7A 30 31 32 33 34 35 36 37 38 39 61 62 63 64 65 66 22 2C 22
             72 65 71 75 65 73 74 5F 69 64 22 3A 22 61 31 22 2C 22 62 69 7A 5F 64 61 74 61 22 3A 7B 22 6D 65 72
             63 68 61 6E 74 5F 6F 72 64 65 72 5F 6E 6F 22 3A 22 54 31 22 7D 7D 7E CC 33",
        );
        let frame = Frame::data(7, 0, json.to_vec());
        assert_eq!(frame.encode(), expected);
        assert_eq!(expected.len(), 124);
        assert_eq!(parse_frame(&expected, 4096).unwrap(), Some((frame, 124)));
    }

    #[test]
    fn vector_4_two_byte_length() {
        let mut json = br#"{"attach":""#.to_vec();
        json.extend(core::iter::repeat_n(b'x', 243));
        json.extend_from_slice(br#""}"#);
        assert_eq!(json.len(), 256);
        let bytes = Frame::data(255, 0, json).encode();
        assert_eq!(bytes.len(), 266);
        assert_eq!(bytes.get(..7).unwrap(), &hex("55 AA 00 00 FF 01 00")[..]);
        assert_eq!(bytes.get(263..).unwrap(), &hex("B1 CC 33")[..]);
    }

    #[test]
    fn partial_and_oversize_input() {
        let bytes = Frame::data(1, 0, b"{}".to_vec()).encode();
        for cut in 0..bytes.len() {
            assert_eq!(
                parse_frame(bytes.get(..cut).unwrap(), 4096),
                Ok(None),
                "{cut}"
            );
        }
        assert_eq!(
            parse_frame(&hex("55 AA 00 00 01 10 01"), 4096),
            Err(CodecError::TooLong {
                len: 4097,
                max: 4096
            })
        );
        assert_eq!(parse_frame(&hex("00 55"), 4096), Err(CodecError::NoStart));
        assert_eq!(
            parse_frame(&hex("55 AA 00 00 00 00 00 00 CC 34"), 4096),
            Err(CodecError::BadEnd)
        );
        assert_eq!(
            parse_frame(&hex("55 AA 07"), 4096),
            Err(CodecError::BadType(7))
        );
    }
}
