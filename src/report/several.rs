//! Several breaks with their inference, as `detect --max-breaks K` and the
//! report run them: the search, the sequential tests of the number of
//! breaks, every break's date set and rate ratio over it, and the exact
//! posterior over segmentations (Poisson, Gaussian), in one view. A part
//! that cannot run on the series says why in the view instead.

use super::detect::DetectView;
use crate::changepoint::break_dates::{BreakDateSpec, break_dates};
use crate::changepoint::multiple::{Criterion, MultipleBreaks, Search, detect_multiple};
use crate::changepoint::number_tests::{NumberTestSpec, number_tests};
use crate::changepoint::segmentation_posterior::{
    BAND_MAX_OBS, NormalPrior, RatePrior, gaussian_segmentation_posterior, segmentation_posterior,
};
use crate::changepoint::single::GammaPrior;
use crate::data::Series;
use crate::error::Result;
use crate::inference::Level;
use crate::inference::overdispersion::segment_overdispersion;
use crate::model::{Family, ModelSpec};

use super::format::sig3;

/// Series longer than this get no sequential tests or date sets: each
/// replicate runs the exact programme, at a cost of `l n^2`.
pub const NUMBER_TESTS_MAX_OBS: usize = 2000;

/// Series longer than this get no exact posterior: the recursions cost
/// `K n^2` (1.7 s at K = 4, n = 10^4 on 2 cores).
pub const EXACT_POSTERIOR_MAX_OBS: usize = 10_000;

/// How to search and what to infer.
#[derive(Debug, Clone, Copy)]
pub struct SeveralSpec {
    /// The search (the exact programme with a criterion, or PELT).
    pub search: Search,
    /// Report the number the sequential tests choose instead of the
    /// criterion's (dp).
    pub by_tests: bool,
    /// Fewest observations in a segment.
    pub min_segment: usize,
    /// Bootstrap replicates of the tests and the date sets (0: none).
    pub bootstrap: usize,
    /// Their seed.
    pub seed: u64,
    /// Confidence level.
    pub level: Level,
    /// Prior on segment rates of the date sets' highest-posterior part.
    pub prior: GammaPrior,
}

/// The several-breaks view of `series` under `model`; `found` is the
/// search's result when the caller already has it (the auto family's
/// Poisson search).
///
/// # Errors
/// As [`detect_multiple`], [`number_tests`], [`break_dates`] and the
/// posteriors.
pub fn several_breaks_view(
    series: &Series,
    model: &ModelSpec,
    spec: SeveralSpec,
    found: Option<MultipleBreaks>,
) -> Result<DetectView> {
    let SeveralSpec {
        search,
        min_segment,
        level,
        ..
    } = spec;
    let mut result = match found {
        Some(found) => found,
        None => detect_multiple(series, model, search, min_segment, level)?,
    };
    let use_offset = model.use_offset && series.has_exposure();
    let Search::Dp { max_breaks, select } = search else {
        let mut view = DetectView::multiple(&result, model.family.name(), use_offset, "pelt", None, min_segment);
        if model.family == Family::Poisson {
            view.overdispersion = segment_overdispersion(series, use_offset, &result.breaks);
        }
        return Ok(view);
    };
    let n = series.n_obs();
    let not_run = if spec.bootstrap == 0 {
        Some("not run: --bootstrap 0".to_owned())
    } else if n > NUMBER_TESTS_MAX_OBS {
        Some(format!(
            "not run: the series has {n} observations, more than the {NUMBER_TESTS_MAX_OBS} the tests are run on"
        ))
    } else {
        None
    };
    let tests = match &not_run {
        Some(why) => Err(why.clone()),
        None => {
            let tests = NumberTestSpec {
                min_segment,
                replicates: spec.bootstrap,
                seed: spec.seed,
                level,
            };
            Ok(number_tests(series, model, &result, tests)?)
        }
    };
    if let (Ok(t), true) = (&tests, spec.by_tests) {
        let by_tests = Search::Dp {
            max_breaks,
            select: Criterion::Count(t.chosen),
        };
        result = detect_multiple(series, model, by_tests, min_segment, level)?;
    }
    let dates = match &not_run {
        Some(why) => Err(why.replacen("not run", "not computed", 1)),
        None => {
            let dates = BreakDateSpec {
                min_segment,
                replicates: spec.bootstrap,
                seed: spec.seed,
                level,
                prior: spec.prior,
            };
            Ok(break_dates(series, model, &result, dates)?)
        }
    };
    let selected_by = match (spec.by_tests, select) {
        (true, _) => "sequential",
        (false, Criterion::Mbic) => "mbic",
        (false, _) => "bic",
    };
    let mut view = DetectView::multiple(
        &result,
        model.family.name(),
        use_offset,
        "dp",
        Some(selected_by),
        min_segment,
    )
    .with_number_tests(tests)
    .with_break_dates(dates);
    if spec.bootstrap > 0 {
        (view.bootstrap, view.seed) = (spec.bootstrap, spec.seed);
    }
    if model.family == Family::Poisson {
        view.overdispersion = segment_overdispersion(series, use_offset, &result.breaks);
    }
    if matches!(model.family, Family::Poisson | Family::Gaussian) {
        view = with_exact_posterior(view, series, model.family, use_offset, max_breaks, min_segment)?;
    }
    Ok(view)
}

/// The view with the exact posterior over segmentations of at most
/// `max_breaks` breaks (Poisson, or Gaussian with a variance per segment),
/// or a note saying why there is none.
fn with_exact_posterior(
    mut view: DetectView,
    series: &Series,
    family: Family,
    use_offset: bool,
    max_breaks: usize,
    min_segment: usize,
) -> Result<DetectView> {
    let n = series.n_obs();
    if n > EXACT_POSTERIOR_MAX_OBS {
        view.segmentation_prior = Some(format!(
            "not computed: the series has {n} observations, more than the {EXACT_POSTERIOR_MAX_OBS} the exact recursion is run on"
        ));
        return Ok(view);
    }
    let y: Vec<f64> = series.observations().iter().map(|o| o.y()).collect();
    let band = if n > BAND_MAX_OBS {
        format!("; no band past {BAND_MAX_OBS} observations (its cost grows as n^3)")
    } else {
        String::new()
    };
    let breaks = format!(
        "the number of breaks uniform on 0..{}, their placements uniform given it, with segments of at least {min_segment} observations as the search's; breaks between observations only (Fearnhead 2006){band}",
        max_breaks.min(n.saturating_sub(1))
    );
    let (posterior, described) = if family == Family::Gaussian {
        let prior = NormalPrior::scaled_to(&y);
        let posterior = gaussian_segmentation_posterior(&y, max_breaks, min_segment, prior)?;
        let described = format!(
            "each segment's mean and variance normal-inverse-gamma: variance InvGamma(shape 1, scale {}) (the noise variance from first differences), mean given it Normal({}, variance / {}) (the series' mean, about the series' own spread), independently; {breaks}",
            sig3(prior.scale),
            sig3(prior.mean),
            sig3(prior.kappa)
        );
        (posterior, described)
    } else {
        let exposure = use_offset.then(|| series.observation_exposures()).flatten();
        let ones = vec![1.0; n];
        let prior = RatePrior::scaled_to(&y, exposure.as_deref().unwrap_or(&ones), 1.0);
        let posterior = segmentation_posterior(&y, exposure.as_deref(), max_breaks, min_segment, prior)?;
        let per = if exposure.is_some() { " per unit exposure" } else { "" };
        let described = format!(
            "each segment's rate{per} Gamma(shape 1, rate {}), the pooled rate's exponential, independently; {breaks}",
            sig3(prior.rate)
        );
        (posterior, described)
    };
    Ok(view.with_segmentation_posterior(series, &posterior, &described))
}
