//! Reading IDX files, gzip-compressed or not, without trusting them: the header says how many
//! bytes follow, and nothing is allocated for more than the file can actually hold.

use std::io::Read;
use std::path::Path;

use byteorder::{BigEndian, ReadBytesExt};

use crate::{Error, Result};

/// Deflate cannot expand data by more than this factor (a run of one byte repeated, at 258
/// bytes per 2-bit code, is the best it does): the most a gzip file can hold, decompressed.
const MAX_DEFLATE_RATIO: u64 = 1032;

pub(crate) fn data_error(file: &Path, msg: impl Into<String>) -> Error {
    Error::Data {
        file: file.display().to_string(),
        msg: msg.into(),
    }
}

/// The bytes of an IDX file, decompressed when they are gzip (recognised by content). The
/// header is read first: a file whose header announces more data than the file could hold (or
/// than fits an address) is refused before anything is allocated for the data, and reading
/// stops one byte past what the header announces.
///
/// ```
/// use std::io::Write;
/// use tensorgears::data::mnist;
/// let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
/// gz.write_all(&[0, 0, 8, 1, 0, 0, 0, 2, 3, 9])?; // magic 2049, two labels: 3 and 9
/// let path = std::env::temp_dir().join("tensorgears-doc-read-idx-bytes");
/// std::fs::write(&path, gz.finish()?)?;
/// assert_eq!(mnist::read_idx_bytes(&path)?, vec![0, 0, 8, 1, 0, 0, 0, 2, 3, 9]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_idx_bytes(path: &Path) -> Result<Vec<u8>> {
    let cannot = |e: std::io::Error| data_error(path, format!("cannot read: {e}"));
    let file = std::fs::File::open(path).map_err(cannot)?;
    let file_len = file.metadata().map_err(cannot)?.len();
    let mut raw = std::io::BufReader::new(file);
    let mut magic = [0u8; 2];
    let peeked = read_up_to(&mut raw, &mut magic).map_err(cannot)?;
    let head = std::io::Cursor::new(magic[..peeked].to_vec());
    if magic[..peeked] == [0x1f, 0x8b] {
        let decoder = flate2::read::GzDecoder::new(head.chain(raw));
        let most = file_len.saturating_mul(MAX_DEFLATE_RATIO);
        read_bounded(path, decoder, most, "corrupted or truncated gzip data")
    } else {
        read_bounded(path, head.chain(raw), file_len, "cannot read")
    }
}

/// Fills as much of `buf` as `r` has, returning how much.
fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// The IDX bytes from `r`, which can hold at most `most` bytes: the header (magic and sizes),
/// then at most one byte more than the sizes announce.
fn read_bounded(path: &Path, mut r: impl Read, most: u64, failed: &str) -> Result<Vec<u8>> {
    let broken = |e: std::io::Error| data_error(path, format!("{failed}: {e}"));
    let mut magic = [0u8; 4];
    let got = read_up_to(&mut r, &mut magic).map_err(broken)?;
    let dims = if got == 4 { usize::from(magic[3]) } else { 0 };
    let mut bytes = magic[..got].to_vec();
    let mut sizes = vec![0u8; 4 * dims];
    let got = read_up_to(&mut r, &mut sizes).map_err(broken)?;
    bytes.extend_from_slice(&sizes[..got]);
    // The element size: 1 for the unsigned bytes of MNIST, per the IDX type code.
    let element: u64 = match magic[2] {
        0x08 | 0x09 => 1,
        0x0b => 2,
        0x0c | 0x0d => 4,
        0x0e => 8,
        _ => 1,
    };
    let payload = sizes[..got].chunks_exact(4).try_fold(element, |acc, d| {
        acc.checked_mul(u64::from(u32::from_be_bytes([d[0], d[1], d[2], d[3]])))
    });
    let payload = match payload {
        Some(p) if p <= most => p,
        Some(p) => {
            return Err(data_error(
                path,
                format!("the header announces {p} bytes of data, more than the file can hold"),
            ))
        }
        None => return Err(data_error(path, "the header's sizes overflow")),
    };
    // Grows with what arrives, not with what the header claims.
    r.take(payload + 1)
        .read_to_end(&mut bytes)
        .map_err(broken)?;
    Ok(bytes)
}

/// The bytes of a whole file's content, decompressed when they are gzip, at most the deflate
/// bound of their size (for a download, whose checksum is taken of the content).
pub(crate) fn decompress(path: &Path, raw: Vec<u8>) -> Result<Vec<u8>> {
    if raw.starts_with(&[0x1f, 0x8b]) {
        let most = (raw.len() as u64).saturating_mul(MAX_DEFLATE_RATIO);
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&raw[..])
            .take(most)
            .read_to_end(&mut out)
            .map_err(|e| data_error(path, format!("corrupted or truncated gzip data: {e}")))?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

/// Reads the big-endian header: the magic number and `dims` dimensions.
pub(crate) fn header(path: &Path, bytes: &[u8], magic: u32, dims: usize) -> Result<Vec<usize>> {
    let mut r = bytes;
    let read = |r: &mut &[u8]| {
        r.read_u32::<BigEndian>()
            .map_err(|_| data_error(path, "truncated header"))
    };
    let m = read(&mut r)?;
    if m != magic {
        return Err(data_error(
            path,
            format!("magic number {m}, expected {magic}: not an IDX file of this kind"),
        ));
    }
    (0..dims)
        .map(|_| read(&mut r).map(|d| d as usize))
        .collect()
}

/// An error unless `bytes` holds exactly `expected` bytes after its header.
pub(crate) fn check_payload(
    path: &Path,
    bytes: &[u8],
    header_len: usize,
    expected: usize,
) -> Result<()> {
    let got = bytes.len().saturating_sub(header_len);
    if got < expected {
        return Err(data_error(
            path,
            format!(
                "truncated: the header announces {expected} bytes of data, the file holds {got}"
            ),
        ));
    }
    if got > expected {
        return Err(data_error(
            path,
            format!("has trailing bytes: the header announces {expected} bytes of data, the file holds more"),
        ));
    }
    Ok(())
}
