//! What every comparison shares: the slice lengths and round counts of a run, and
//! the report its ratio lines go to.

use std::time::Duration;

/// Slice lengths and round counts.
pub(crate) struct Plan {
    pub(crate) micro_slice: Duration,
    pub(crate) micro_rounds: usize,
    pub(crate) net_slice: Duration,
    pub(crate) net_rounds: usize,
    pub(crate) py_slice: Duration,
    pub(crate) py_rounds: usize,
    pub(crate) mem_rounds: usize,
}

/// Where the ratio lines go; counts the goals a run fell short of.
pub(crate) struct Report {
    short: usize,
}

impl Plan {
    pub(crate) fn micro(&self) -> (Duration, usize) {
        (self.micro_slice, self.micro_rounds)
    }

    pub(crate) fn net(&self) -> (Duration, usize) {
        (self.net_slice, self.net_rounds)
    }

    pub(crate) fn py(&self) -> (Duration, usize) {
        (self.py_slice, self.py_rounds)
    }
}

impl Report {
    pub(crate) fn new() -> Self {
        Self { short: 0 }
    }

    /// How many goals were short so far.
    pub(crate) fn short(&self) -> usize {
        self.short
    }

    /// `lower`: the goal is an upper bound on a cost ratio; otherwise a lower bound
    /// on a throughput multiple.
    pub(crate) fn ratio(&mut self, name: &str, value: f64, goal: f64, lower: bool) {
        let ok = if lower { value <= goal } else { value >= goal };
        if !ok {
            self.short += 1;
        }
        println!(
            "ratio {name} {value:.3} {goal} {}",
            if ok { "ok" } else { "short" }
        );
    }

    /// A ratio that is reported, not a gate (`--strict` ignores it): `ratio NAME
    /// VALUE - report`.
    pub(crate) fn reported(&mut self, name: &str, value: f64) {
        println!("ratio {name} {value:.3} - report");
    }
}
