//! The master scale: one-year PD → grade (AAA … C), with `D` reserved for a borrower already
//! in default. Band edges come from the model (`[[credit.master_scale]]`). Must not know how
//! the PD was estimated.

use super::params::GradeBand;

/// The grade of a borrower that is currently non-performing.
pub const DEFAULT_GRADE: &str = "D";

/// The grade for `pd_1y`: the first band whose `max_pd_1y` is at least the PD, or `D` when the
/// borrower is in default.
pub fn grade(bands: &[GradeBand], pd_1y: f64, in_default: bool) -> String {
    if in_default {
        return DEFAULT_GRADE.to_string();
    }
    bands
        .iter()
        .find(|b| pd_1y <= b.max_pd_1y)
        .or(bands.last())
        .map_or_else(|| DEFAULT_GRADE.to_string(), |b| b.grade.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credit::params::CreditParams;
    use crate::model::Model;

    #[test]
    fn kibo_three_year_anchors_fall_in_their_grades() {
        let p = CreditParams::from_model(&Model::embedded_default()).unwrap();
        // KIBO KTRS three-year default rates, annualised: 1 − (1 − r)^(1/3).
        for (grade_name, three_year) in [
            ("A", 0.0068),
            ("BBB", 0.0083),
            ("BB", 0.0190),
            ("B", 0.0287),
        ] {
            let one_year = 1.0 - (1.0f64 - three_year).powf(1.0 / 3.0);
            assert_eq!(grade(&p.master_scale, one_year, false), grade_name);
        }
        assert_eq!(grade(&p.master_scale, 0.0001, false), "AAA");
        assert_eq!(grade(&p.master_scale, 0.3, false), "C");
        assert_eq!(grade(&p.master_scale, 0.001, true), "D");
        let labels: Vec<&str> = p.master_scale.iter().map(|b| b.grade.as_str()).collect();
        assert_eq!(
            labels,
            ["AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C"]
        );
    }
}
