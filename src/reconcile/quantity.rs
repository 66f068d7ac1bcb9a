//! Zadig's `gpu_limit` check (`checkGpuResourceParam`): spaces removed, exactly one `:`, and
//! after it a Kubernetes quantity as `resource.ParseQuantity` reads one (`1`, `500m`, `2Gi`,
//! `1e3`), with that function's error texts. What comes before the `:` is not checked, so
//! `: 1` passes, as in Zadig. The emulator refuses with it as Zadig does, and the loader
//! refuses before sending what Zadig would refuse (docs/zadig-api.md). Pure.

/// Why a `gpu_limit` is refused; the text is Zadig's description of the 6520/6521 answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GpuLimitError {
    #[error("format of gpu request is incorrect")]
    Shape,
    #[error("failed to parse resource quantity, err: {0}")]
    Quantity(QuantityError),
}

/// `resource.ParseQuantity`'s errors (its third, a numeric overflow, cannot happen for a
/// string that passes these two checks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    #[error(
        "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
    )]
    Format,
    #[error("unable to parse quantity's suffix")]
    Suffix,
}

/// An empty limit means no GPU and is not checked.
pub fn check_gpu_limit(limit: &str) -> Result<(), GpuLimitError> {
    if limit.is_empty() {
        return Ok(());
    }
    let compact = limit.replace(' ', "");
    match compact.split(':').collect::<Vec<_>>().as_slice() {
        [_resource, quantity] => check_quantity(quantity).map_err(GpuLimitError::Quantity),
        _ => Err(GpuLimitError::Shape),
    }
}

/// Whether `resource.ParseQuantity` accepts `text`.
pub fn check_quantity(text: &str) -> Result<(), QuantityError> {
    if text.is_empty() {
        return Err(QuantityError::Format);
    }
    let suffix = number_suffix(text.as_bytes())?;
    if is_known_suffix(suffix) {
        Ok(())
    } else {
        Err(QuantityError::Suffix)
    }
}

const SUFFIX_LETTERS: &[u8] = b"eEinumkKMGTP";

/// `parseQuantityString`: an optional sign, digits with at most one `.` (all optional: `-`
/// and `.` read as zero), then the suffix, which runs to the end of the text.
fn number_suffix(bytes: &[u8]) -> Result<&[u8], QuantityError> {
    let mut pos = usize::from(matches!(bytes.first(), Some(b'+' | b'-')));
    pos = skip_digits(bytes, pos);
    if bytes.get(pos) == Some(&b'.') {
        pos = skip_digits(bytes, pos + 1);
    }
    let start = pos;
    while bytes
        .get(pos)
        .is_some_and(|byte| SUFFIX_LETTERS.contains(byte))
    {
        pos += 1;
    }
    if matches!(bytes.get(pos), Some(b'+' | b'-')) {
        pos += 1;
    }
    pos = skip_digits(bytes, pos);
    if pos < bytes.len() {
        return Err(QuantityError::Format);
    }
    Ok(&bytes[start..])
}

fn skip_digits(bytes: &[u8], mut pos: usize) -> usize {
    while bytes.get(pos).is_some_and(u8::is_ascii_digit) {
        pos += 1;
    }
    pos
}

/// The decimal and binary SI suffixes, or `e`/`E` followed by an int64 exponent.
fn is_known_suffix(suffix: &[u8]) -> bool {
    const NAMED: [&[u8]; 16] = [
        b"n", b"u", b"m", b"", b"k", b"M", b"G", b"T", b"P", b"E", b"Ki", b"Mi", b"Gi", b"Ti",
        b"Pi", b"Ei",
    ];
    if NAMED.contains(&suffix) {
        return true;
    }
    match suffix.split_first() {
        Some((b'e' | b'E', exponent)) => std::str::from_utf8(exponent)
            .ok()
            .is_some_and(|exponent| exponent.parse::<i64>().is_ok()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_kubernetes_accepts() {
        for text in [
            "0", "1", "+1", "-1", "1.5", ".5", "1.", "-", ".", "500m", "2Gi", "1E", "1e3", "1e+3",
            "1E-3", "m", "007",
        ] {
            assert_eq!(check_quantity(text), Ok(()), "{text}");
        }
    }

    #[test]
    fn quantities_kubernetes_refuses_with_its_error() {
        use QuantityError::{Format, Suffix};
        for (text, error) in [
            ("", Format),
            ("x", Format),
            ("1.2.3", Format),
            ("1e3.5", Format),
            ("1Mix", Format),
            ("1 ", Format),
            ("1e", Suffix),
            ("1ki", Suffix),
            ("1k3", Suffix),
            ("1ee3", Suffix),
            ("1e+", Suffix),
            ("1e99999999999999999999", Suffix),
        ] {
            assert_eq!(check_quantity(text), Err(error), "{text}");
        }
    }

    #[test]
    fn a_gpu_limit_needs_exactly_one_colon_and_a_quantity_after_it() {
        assert_eq!(check_gpu_limit(""), Ok(()));
        assert_eq!(check_gpu_limit("nvidia.com/gpu: 1"), Ok(()));
        assert_eq!(check_gpu_limit("nvidia.com/gpu : 2 "), Ok(()));
        assert_eq!(check_gpu_limit(": 1"), Ok(()));
        assert_eq!(check_gpu_limit("1"), Err(GpuLimitError::Shape));
        assert_eq!(check_gpu_limit("a: 1: 2"), Err(GpuLimitError::Shape));
        let bad = check_gpu_limit("nvidia.com/gpu: x").unwrap_err();
        assert_eq!(
            bad.to_string(),
            "failed to parse resource quantity, err: quantities must match the regular \
             expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
        );
        assert_eq!(
            check_gpu_limit("nvidia.com/gpu:"),
            Err(GpuLimitError::Quantity(QuantityError::Format))
        );
    }
}
