//! The industries an asset or a loan belongs to: the seven strategic emerging industries
//! (战略性新兴产业) named in the policy seeds, plus `other`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An industry. Each has its own Gaussian factor in the valuation and fund simulations.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Industry {
    /// 节能环保.
    EnergySavingEnvironmental,
    /// 新一代信息技术.
    NextGenIt,
    /// 生物医药.
    Biomedicine,
    /// 高端装备制造.
    HighEndEquipment,
    /// 新能源.
    NewEnergy,
    /// 新材料.
    NewMaterials,
    /// 新能源汽车.
    NewEnergyVehicles,
    /// Anything else.
    Other,
}

impl Industry {
    /// All industries, in factor order.
    pub const ALL: [Industry; 8] = [
        Industry::EnergySavingEnvironmental,
        Industry::NextGenIt,
        Industry::Biomedicine,
        Industry::HighEndEquipment,
        Industry::NewEnergy,
        Industry::NewMaterials,
        Industry::NewEnergyVehicles,
        Industry::Other,
    ];

    /// The snake_case name used in files.
    pub fn name(self) -> &'static str {
        match self {
            Industry::EnergySavingEnvironmental => "energy_saving_environmental",
            Industry::NextGenIt => "next_gen_it",
            Industry::Biomedicine => "biomedicine",
            Industry::HighEndEquipment => "high_end_equipment",
            Industry::NewEnergy => "new_energy",
            Industry::NewMaterials => "new_materials",
            Industry::NewEnergyVehicles => "new_energy_vehicles",
            Industry::Other => "other",
        }
    }

    /// Parses a file name of an industry.
    pub fn from_name(name: &str) -> Option<Industry> {
        Industry::ALL.into_iter().find(|i| i.name() == name)
    }

    /// Index of the industry's factor (0..8).
    pub fn index(self) -> usize {
        self as usize
    }

    /// True for the seven strategic emerging industries (everything but `other`): the first
    /// criterion of the CNIPA high-value invention patent definition.
    pub fn is_strategic(self) -> bool {
        self != Industry::Other
    }

    /// The names of all industries, for error messages.
    pub fn names() -> String {
        Industry::ALL.map(Industry::name).join(", ")
    }
}

impl fmt::Display for Industry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_only_other_is_not_strategic() {
        for i in Industry::ALL {
            assert_eq!(Industry::from_name(i.name()), Some(i));
            assert_eq!(
                serde_json::to_string(&i).unwrap(),
                format!("\"{}\"", i.name())
            );
            assert_eq!(i.is_strategic(), i != Industry::Other);
        }
        assert_eq!(Industry::ALL.iter().filter(|i| i.is_strategic()).count(), 7);
        assert_eq!(Industry::from_name("biotech"), None);
    }
}
