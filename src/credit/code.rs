//! The borrower's unified social credit code (统一社会信用代码), GB 32100-2015.
//!
//! Owns the check-character arithmetic of GB 32100-2015 (18th character) and of the
//! GB 11714-1997 organisation code embedded in characters 9–17. Must not know about
//! applications or scoring.

use std::fmt;

/// The 31-character alphabet of GB 32100-2015 (no I, O, Z, S, V), in value order.
const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Weights of the first 17 characters for the GB 32100-2015 check character (3^i mod 31).
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// Weights of the 8 body characters of a GB 11714 organisation code.
const ORG_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

/// A unified social credit code whose both check characters are right.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CreditCode(String);

/// Why a text is not a valid unified social credit code.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CreditCodeError {
    /// Not 18 characters long.
    #[error("must be 18 characters, got {len}")]
    Length {
        /// Characters found.
        len: usize,
    },
    /// A character outside 0-9 A-H J-N P-R T-U W-Y.
    #[error("character {position} `{found}` is not in 0-9 A-H J-N P-R T-U W-Y")]
    Character {
        /// 1-based position.
        position: usize,
        /// The offending character.
        found: char,
    },
    /// The administrative division code (characters 3–8) is not six digits.
    #[error("characters 3-8 (administrative division code) must be digits, got `{found}`")]
    Region {
        /// The six characters found.
        found: String,
    },
    /// The GB 32100-2015 check character (18th) is wrong.
    #[error("check character (GB 32100-2015) is `{found}`, expected `{expected}`")]
    Check {
        /// The character given.
        found: char,
        /// The character the algorithm gives.
        expected: char,
    },
    /// The GB 11714 organisation code check (17th character) is wrong.
    #[error("organisation code check character (GB 11714) is `{found}`, expected `{expected}`")]
    OrganisationCheck {
        /// The character given.
        found: char,
        /// The character the algorithm gives.
        expected: char,
    },
}

impl CreditCode {
    /// Validates a code (upper case; surrounding whitespace is ignored).
    pub fn parse(text: &str) -> Result<CreditCode, CreditCodeError> {
        let text = text.trim();
        let chars: Vec<char> = text.chars().collect();
        if chars.len() != 18 {
            return Err(CreditCodeError::Length { len: chars.len() });
        }
        let mut values = [0u32; 18];
        for (i, &c) in chars.iter().enumerate() {
            values[i] = char_value(c).ok_or(CreditCodeError::Character {
                position: i + 1,
                found: c,
            })?;
        }
        let region: String = chars[2..8].iter().collect();
        if !region.chars().all(|c| c.is_ascii_digit()) {
            return Err(CreditCodeError::Region { found: region });
        }
        let expected = check_character(&text[..17]).ok_or(CreditCodeError::Character {
            position: 1,
            found: chars[0],
        })?;
        if chars[17] != expected {
            return Err(CreditCodeError::Check {
                found: chars[17],
                expected,
            });
        }
        let expected_org = organisation_check(&text[8..16]).ok_or(CreditCodeError::Character {
            position: 9,
            found: chars[8],
        })?;
        if chars[16] != expected_org {
            return Err(CreditCodeError::OrganisationCheck {
                found: chars[16],
                expected: expected_org,
            });
        }
        Ok(CreditCode(text.to_string()))
    }

    /// The code text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The six-digit administrative division code of the registration place (characters 3–8).
    pub fn region_code(&self) -> &str {
        &self.0[2..8]
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn char_value(c: char) -> Option<u32> {
    let b = u8::try_from(c).ok()?;
    ALPHABET.iter().position(|&a| a == b).map(|p| p as u32)
}

/// The GB 32100-2015 check character for the first 17 characters: `31 − (Σ vᵢwᵢ mod 31)`,
/// 31 → `0`. `None` when a character is outside the alphabet or the length is not 17.
pub fn check_character(first17: &str) -> Option<char> {
    if first17.chars().count() != 17 {
        return None;
    }
    let mut sum = 0u32;
    for (c, w) in first17.chars().zip(WEIGHTS) {
        sum += char_value(c)? * w;
    }
    let check = (31 - sum % 31) % 31;
    Some(char::from(ALPHABET[check as usize]))
}

/// The GB 11714 check character for an 8-character organisation code body: digits are their
/// value, letters A–Z are 10–35; `11 − (Σ vᵢwᵢ mod 11)`, 10 → `X`, 11 → `0`.
pub fn organisation_check(body8: &str) -> Option<char> {
    if body8.chars().count() != 8 {
        return None;
    }
    let mut sum = 0u32;
    for (c, w) in body8.chars().zip(ORG_WEIGHTS) {
        let v = c
            .to_digit(36)
            .filter(|_| c.is_ascii_digit() || c.is_ascii_uppercase())?;
        sum += v * w;
    }
    Some(match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        d => char::from_digit(d, 10)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Code bodies (first 16 characters matter) completed with both check characters.
    const BODIES: [&str; 4] = [
        "91350100M000100Y43",
        "91440300MA5EXAMPL7",
        "91110108MA01ABCDE0",
        "91330106MA2GXXXX08",
    ];

    #[test]
    fn the_briefs_example_is_valid_by_both_algorithms() {
        assert_eq!(check_character("91350100M000100Y4"), Some('3'));
        assert_eq!(organisation_check("M000100Y"), Some('4'));
        let code = CreditCode::parse("91350100M000100Y43").unwrap();
        assert_eq!(code.region_code(), "350100");
    }

    #[test]
    fn generated_codes_round_trip() {
        for body in BODIES {
            let org = organisation_check(&body[8..16]).unwrap();
            let first17 = format!("{}{}", &body[..16], org);
            let code = format!("{first17}{}", check_character(&first17).unwrap());
            assert!(CreditCode::parse(&code).is_ok(), "{code}");
        }
    }

    #[test]
    fn a_flipped_check_character_is_rejected() {
        let err = CreditCode::parse("91350100M000100Y44").unwrap_err();
        assert_eq!(
            err,
            CreditCodeError::Check {
                found: '4',
                expected: '3'
            }
        );
        // Changing a body character breaks the check too.
        assert!(CreditCode::parse("91350101M000100Y43").is_err());
    }

    #[test]
    fn a_wrong_organisation_check_is_rejected() {
        // Replace the org check '4' by '5' and recompute the outer check so only GB 11714 fails.
        let first17 = "91350100M000100Y5";
        let code = format!("{first17}{}", check_character(first17).unwrap());
        assert!(matches!(
            CreditCode::parse(&code),
            Err(CreditCodeError::OrganisationCheck { expected: '4', .. })
        ));
    }

    #[test]
    fn forbidden_letters_and_lengths_are_rejected() {
        assert!(matches!(
            CreditCode::parse("91350100M000100I43"),
            Err(CreditCodeError::Character { position: 16, .. })
        ));
        assert!(matches!(
            CreditCode::parse("9135010"),
            Err(CreditCodeError::Length { len: 7 })
        ));
        assert!(matches!(
            CreditCode::parse("91AB0100M000100Y43"),
            Err(CreditCodeError::Region { .. })
        ));
    }
}
