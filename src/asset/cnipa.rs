//! CNIPA patent application numbers and their check character.
//!
//! Current form (since 2003-10-01, standard ZC 0006-2003): 12 digits `YYYYTNNNNNNN` (year,
//! application type, serial) then `.` and a check character: the digits weighted
//! 2,3,4,5,6,7,8,9,2,3,4,5, summed, mod 11, with 10 written `X`. Older form: 8 digits
//! `YYTNNNNN` weighted 2..9, same rule (verified on the published examples `97101765.4` and
//! `88201465.X`). Accepted prefixes: `CN`, `ZL` or none, optionally followed by a space.
//! Type digit: 1 invention, 2 utility model, 3 design, 8 PCT invention, 9 PCT utility model.

use super::AssetKind;

/// Why an identifier is not a valid CNIPA application number for its kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CnipaIdError {
    /// Not `CN` + 12 (or 8) digits + `.` + check character.
    #[error(
        "`{text}` is not a CNIPA application number (CN + 12 digits + `.` + check character, e.g. CN201710601862.3)"
    )]
    Format {
        /// The offending text.
        text: String,
    },
    /// The check character does not match the digits.
    #[error("check character `{given}` does not match the number (expected `{expected}`)")]
    Check {
        /// The check character given.
        given: char,
        /// The check character the digits imply.
        expected: char,
    },
    /// The type digit says another kind of patent.
    #[error("type digit `{digit}` is not a {kind} application number")]
    Type {
        /// The type digit.
        digit: char,
        /// The asset's kind.
        kind: &'static str,
    },
}

/// The check character of an application number's digits (12 or 8 of them).
pub fn check_character(digits: &[u8]) -> char {
    const WEIGHTS: [u32; 12] = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5];
    let sum: u32 = digits
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    match sum % 11 {
        10 => 'X',
        r => char::from_digit(r, 10).unwrap_or('?'),
    }
}

/// Checks a patent's application number against the format, its check character and the
/// patent kind (`kind` must be a patent kind; other kinds always pass).
pub fn check_patent_id(text: &str, kind: AssetKind) -> Result<(), CnipaIdError> {
    let format = || CnipaIdError::Format {
        text: text.to_string(),
    };
    let t = text.trim();
    let t = t
        .strip_prefix("CN")
        .or_else(|| t.strip_prefix("ZL"))
        .unwrap_or(t)
        .trim_start();
    let (digits, check) = t.split_once('.').ok_or_else(format)?;
    let digits = digits.as_bytes();
    let mut check_chars = check.chars();
    let given = match (check_chars.next(), check_chars.next()) {
        (Some(c), None) => c.to_ascii_uppercase(),
        _ => return Err(format()),
    };
    if !(digits.len() == 12 || digits.len() == 8) || !digits.iter().all(u8::is_ascii_digit) {
        return Err(format());
    }
    if !(given.is_ascii_digit() || given == 'X') {
        return Err(format());
    }
    let expected = check_character(digits);
    if given != expected {
        return Err(CnipaIdError::Check { given, expected });
    }
    let type_digit = char::from(digits[if digits.len() == 12 { 4 } else { 2 }]);
    let allowed: &[char] = match kind {
        AssetKind::Invention => &['1', '8'],
        AssetKind::UtilityModel => &['2', '9'],
        AssetKind::Design => &['3'],
        AssetKind::Trademark | AssetKind::SoftwareCopyright => return Ok(()),
    };
    if allowed.contains(&type_digit) {
        Ok(())
    } else {
        Err(CnipaIdError::Type {
            digit: type_digit,
            kind: kind.label(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_example_and_published_old_form_examples_check() {
        assert_eq!(check_character(b"201710601862"), '3');
        assert_eq!(check_character(b"97101765"), '4');
        assert_eq!(check_character(b"88201465"), 'X');
        assert!(check_patent_id("CN201710601862.3", AssetKind::Invention).is_ok());
        assert!(check_patent_id("ZL 201710601862.3", AssetKind::Invention).is_ok());
        assert!(check_patent_id("201710601862.3", AssetKind::Invention).is_ok());
        assert!(check_patent_id("CN97101765.4", AssetKind::Invention).is_ok());
        assert!(check_patent_id("CN88201465.X", AssetKind::UtilityModel).is_ok());
        assert!(check_patent_id("CN88201465.x", AssetKind::UtilityModel).is_ok());
    }

    #[test]
    fn wrong_check_format_and_type_are_reported() {
        assert_eq!(
            check_patent_id("CN201710601862.4", AssetKind::Invention),
            Err(CnipaIdError::Check {
                given: '4',
                expected: '3'
            })
        );
        for bad in [
            "CN20171060186.3",
            "CN201710601862",
            "CN2017106018623.3",
            "CN20171060186A.3",
            "CN201710601862.33",
            "US201710601862.3",
            "",
        ] {
            assert!(
                matches!(
                    check_patent_id(bad, AssetKind::Invention),
                    Err(CnipaIdError::Format { .. })
                ),
                "{bad}"
            );
        }
        assert!(matches!(
            check_patent_id("CN201710601862.3", AssetKind::UtilityModel),
            Err(CnipaIdError::Type { digit: '1', .. })
        ));
    }
}
