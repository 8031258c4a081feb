//! Many scenarios on common random numbers: the engine of `fund compare`, `fund optimise` and
//! `fund sweep`. Each scenario is evaluated on a kept draw of default events when one with the
//! same draw inputs exists (only its ledger re-runs), else its events are drawn once and kept
//! for the scenarios after it. Every draw uses the same seed, and the sampler's draw layout does
//! not depend on any rule, so even scenarios that need their own draw (another disposal delay,
//! a public buyer) see the same defaults where their books agree.
//!
//! With one copy of the book (no multiple above 1), the numbers of a scenario evaluated here
//! are exactly those of `fund simulate` on it with the same seed and paths (tested). With
//! more copies, every multiple is evaluated on the draw of the largest book.

use super::size::Leverage;
use super::{DrawnRun, FundError, FundResult, Settings, Variant};
use crate::scenario::Scenario;

/// Draws kept at once (a draw holds every path's events; beyond this the oldest goes).
const KEPT_DRAWS: usize = 4;

/// Evaluates scenarios on shared draws; counts what it did.
pub struct Evaluator<'s> {
    settings: Settings<'s>,
    copies: u32,
    runs: Vec<DrawnRun<'s>>,
    /// Draws of default events made (each the sampler work of one simulation).
    pub draws: u32,
    /// Ledger passes run.
    pub ledger_passes: u32,
}

impl std::fmt::Debug for Evaluator<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Evaluator")
            .field("copies", &self.copies)
            .field("draws", &self.draws)
            .field("ledger_passes", &self.ledger_passes)
            .finish_non_exhaustive()
    }
}

impl<'s> Evaluator<'s> {
    /// An evaluator with `settings` (seed, paths, model) whose draws hold `copies` copies of
    /// each book (the largest book multiple it can evaluate).
    pub fn new(settings: &Settings<'s>, copies: u32) -> Self {
        Evaluator {
            settings: settings.clone(),
            copies: copies.max(1),
            runs: Vec::new(),
            draws: 0,
            ledger_passes: 0,
        }
    }

    /// The run settings (seed, paths, model) every evaluation uses.
    pub fn settings(&self) -> &Settings<'s> {
        &self.settings
    }

    /// The result of `scenario` (its own capital, the leverage limit as written) at
    /// `multiple` of its book.
    pub fn evaluate(
        &mut self,
        scenario: &Scenario,
        multiple: f64,
    ) -> Result<FundResult, FundError> {
        let index = match self.runs.iter().position(|r| r.can_evaluate(scenario)) {
            Some(i) => i,
            None => {
                let run = DrawnRun::draw_copies(scenario, &self.settings, self.copies)?;
                self.draws += 1;
                if self.runs.len() == KEPT_DRAWS {
                    self.runs.remove(0);
                }
                self.runs.push(run);
                self.runs.len() - 1
            }
        };
        self.ledger_passes += 1;
        self.runs[index].evaluate_variant(&Variant {
            scenario,
            multiple,
            capital: scenario.fund.initial_capital,
            leverage: Leverage::AsWritten,
        })
    }
}
