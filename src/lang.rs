//! The language of what a person reads ([`Lang`], `--lang zh|en`) and the one formatter of
//! amounts for people ([`amount`]): decision reasons, eligibility details, CLI tables and HTML
//! reports all write money through it. JSON never does: machines read exact decimal strings.
//!
//! Rule: in Chinese an amount of at least 1 亿 (1e8 CNY) is written in 亿元 and one of at
//! least 1 万 (1e4 CNY) in 万元, each with at most two decimals (trailing zeros dropped),
//! smaller ones in 元; in English `CNY` and the amount with thousands separators, the fen
//! shown only when there are any. Must not know about files, HTTP or the CLI.

use std::fmt;
use std::str::FromStr;

use crate::money::Money;

/// Language of the texts a person reads (`--lang zh|en`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lang {
    /// Simplified Chinese; amounts in 元, 万元 or 亿元.
    Zh,
    /// English; amounts as `CNY 1,250,000`.
    #[default]
    En,
}

/// A `--lang` value that is neither `zh` nor `en`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown language `{0}`: expected zh or en")]
pub struct UnknownLang(pub String);

impl FromStr for Lang {
    type Err = UnknownLang;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "zh" | "zh-cn" | "cn" => Ok(Lang::Zh),
            "en" => Ok(Lang::En),
            _ => Err(UnknownLang(s.to_string())),
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        })
    }
}

impl Lang {
    /// `zh` or `en`, whichever this language is.
    pub fn pick<T>(self, zh: T, en: T) -> T {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

/// 1 万 in yuan.
const WAN: f64 = 1e4;
/// 1 亿 in yuan.
const YI: f64 = 1e8;

/// An amount of `yuan` CNY as a person reads it in `lang` (the rule is in the module docs):
/// `amount(Lang::Zh, 1_250_000.0)` is `125 万元`, `amount(Lang::Zh, 3.2e8)` is `3.2 亿元`,
/// `amount(Lang::En, 1_250_000.0)` is `CNY 1,250,000`.
pub fn amount(lang: Lang, yuan: f64) -> String {
    if !yuan.is_finite() {
        return yuan.to_string();
    }
    match lang {
        Lang::En => format!("CNY {}", trimmed(yuan, 2)),
        Lang::Zh => {
            let size = yuan.abs();
            // The unit follows the figure as it would be shown in the smaller unit: 9,999.999
            // 元 shows as 10,000 元, so it reads 1 万元; 99,999,999 元 reads 1 亿元.
            if round2(size / WAN) >= YI / WAN {
                format!("{} 亿元", trimmed(yuan / YI, 2))
            } else if round2(size) >= WAN {
                format!("{} 万元", trimmed(yuan / WAN, 2))
            } else {
                format!("{} 元", trimmed(yuan, 2))
            }
        }
    }
}

/// [`amount`] of an exact amount.
pub fn money(lang: Lang, m: Money) -> String {
    amount(lang, m.to_f64())
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// `v` with at most `decimals` decimals (trailing zeros dropped) and thousands separators.
pub fn trimmed(v: f64, decimals: usize) -> String {
    let text = grouped(v, decimals);
    if text.contains('.') {
        let text = text.trim_end_matches('0').trim_end_matches('.');
        if text == "-0" {
            "0".to_string()
        } else {
            text.to_string()
        }
    } else {
        text
    }
}

/// `v` with exactly `decimals` decimals and a comma every three integer digits; a value that
/// rounds to zero carries no minus sign.
pub fn grouped(v: f64, decimals: usize) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    let text = format!("{:.*}", decimals, v.abs());
    let (int, frac) = text
        .split_once('.')
        .map_or((text.as_str(), None), |(i, f)| (i, Some(f)));
    let mut out = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    let negative = v < 0.0 && out.chars().any(|c| c.is_ascii_digit() && c != '0');
    if negative { format!("-{out}") } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_amounts_read_in_yuan_wan_and_yi() {
        let zh = |v| amount(Lang::Zh, v);
        assert_eq!(zh(1_250_000.0), "125 万元");
        assert_eq!(zh(3.2e8), "3.2 亿元");
        assert_eq!(zh(1_234_567.0), "123.46 万元");
        assert_eq!(zh(123_456_789_012.0), "1,234.57 亿元");
        assert_eq!(zh(10_000.0), "1 万元");
        assert_eq!(zh(9_999.999), "1 万元");
        assert_eq!(zh(9_999.0), "9,999 元");
        assert_eq!(zh(0.5), "0.5 元");
        assert_eq!(zh(0.0), "0 元");
        assert_eq!(zh(-2_500_000.0), "-250 万元");
        assert_eq!(zh(99_999_999.0), "1 亿元");
    }

    #[test]
    fn english_amounts_carry_the_currency_and_separators() {
        let en = |v| amount(Lang::En, v);
        assert_eq!(en(1_250_000.0), "CNY 1,250,000");
        assert_eq!(en(1_250_000.5), "CNY 1,250,000.5");
        assert_eq!(en(999.0), "CNY 999");
        assert_eq!(en(-3.2e8), "CNY -320,000,000");
        assert_eq!(en(0.001), "CNY 0");
        assert_eq!(
            money(Lang::En, Money::from_yuan(2_000_000)),
            "CNY 2,000,000"
        );
    }

    #[test]
    fn grouping_and_language_names() {
        assert_eq!(grouped(1234567.891, 2), "1,234,567.89");
        assert_eq!(grouped(-0.001, 2), "0.00");
        assert_eq!(grouped(-1000.0, 0), "-1,000");
        assert_eq!("ZH".parse::<Lang>(), Ok(Lang::Zh));
        assert!("fr".parse::<Lang>().is_err());
        assert_eq!(Lang::Zh.pick("甲", "a"), "甲");
    }
}
