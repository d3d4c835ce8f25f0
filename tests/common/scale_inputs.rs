//! The large inputs the scale tests and the command benches share: written
//! by a fixed pseudo-random stream, so both measure the same files.

use std::fmt::Write as _;

/// A PCG-style stream of uniform numbers in [0, 1) and of raw states.
pub struct Stream(u64);

impl Stream {
    pub fn new(seed: u64) -> Stream {
        Stream(seed)
    }

    pub fn next_state(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0
    }

    pub fn uniform(&mut self) -> f64 {
        (self.next_state() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A series file of `rows` integer periods with exposure and a rate that
/// changes every 100 periods.
pub fn level_series(rows: usize) -> String {
    let mut text = String::with_capacity(rows * 16);
    text.push_str("period,count,exposure\n");
    let mut stream = Stream::new(7);
    for t in 1..=rows {
        let state = stream.next_state();
        let level = [3u64, 6, 3, 9, 4][(t / 100) % 5];
        let count = level + (state >> 60) % 4;
        let _ = writeln!(text, "{t},{count},{}", 90 + (state >> 40) % 20);
    }
    text
}

/// A long file of `series` Poisson series of `months` months from 2010-01,
/// rates between 2 and 30, one series in twenty doubling at a month
/// between 20 and 99.
pub fn many_poisson(series: usize, months: usize) -> String {
    let mut text = String::with_capacity(series * months * 16);
    text.push_str("series,period,count\n");
    let mut stream = Stream::new(11);
    for s in 0..series {
        let rate = 2.0 + 28.0 * stream.uniform();
        let at = if s % 20 == 0 {
            20 + (80.0 * stream.uniform()) as usize
        } else {
            usize::MAX
        };
        for t in 0..months {
            let mean = if t >= at { 2.0 * rate } else { rate };
            // A Poisson draw by inversion of its CDF.
            let (u, mut k, mut p) = (stream.uniform(), 0u32, (-mean).exp());
            let mut cdf = p;
            while u > cdf && k < 1000 {
                k += 1;
                p *= mean / k as f64;
                cdf += p;
            }
            let _ = writeln!(text, "s{s},{}-{:02},{k}", 2010 + t / 12, t % 12 + 1);
        }
    }
    text
}
