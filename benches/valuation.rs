//! Valuation throughput on the shipped 10-patent portfolio
//! (`scenarios/samples/next-gen-it-10.json`) at 10,000 paths: the whole `value_portfolio`
//! (kernel + statistics + scores) on one and two threads, the Monte Carlo kernel alone on one
//! thread, and the liquidation value in 10,000 default states (`liquidation_given_each`, what
//! loan scoring runs per application). Throughput is in asset-path-years (periods per path × paths).
//! Run: `cargo bench --bench valuation`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ipledge::asset::parse_json;
use ipledge::loss::CollateralAtDefault;
use ipledge::model::Model;
use ipledge::rng::{BATCH_PATHS, Domain, stream};
use ipledge::valuation::{
    DEFAULT_AS_OF, DefaultState, PortfolioValuer, ValuationParams, ValuationSettings,
    value_portfolio,
};

const PATHS: u64 = 10_000;

fn bench(c: &mut Criterion) {
    let assets = parse_json(include_str!("../scenarios/samples/next-gen-it-10.json"))
        .expect("the sample is valid");
    let model = Model::embedded_default();
    let params = ValuationParams::from_model(&model).expect("the default model is valid");
    let settings = ValuationSettings {
        paths: PATHS,
        seed: 1,
        as_of: DEFAULT_AS_OF,
    };
    let valuer = PortfolioValuer::new(&assets, &params, DEFAULT_AS_OF).expect("valuer");
    let asset_path_years = valuer.periods_per_path() as u64 * PATHS;
    let mut group = c.benchmark_group("valuation");
    group.sample_size(20);
    group.throughput(Throughput::Elements(asset_path_years));
    for threads in [1usize, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a thread pool");
        group.bench_function(
            format!("value_portfolio/next-gen-it-10/{PATHS}-paths/{threads}-threads"),
            |b| {
                b.iter(|| {
                    pool.install(|| value_portfolio(&assets, &params, &model, &settings))
                        .expect("runs")
                })
            },
        );
        if threads == 1 {
            group.bench_function(
                format!("kernel/next-gen-it-10/{PATHS}-paths/1-thread"),
                |b| b.iter(|| pool.install(|| valuer.simulate(1, PATHS)).expect("runs")),
            );
        }
    }
    // What loan scoring runs per application: the liquidation value in 10,000 default
    // states, a batch of 1,024 at a time as the LGD simulation takes them.
    let states: Vec<DefaultState> = (0..PATHS)
        .map(|i| DefaultState {
            years: (i % 5) as f64 * 0.5,
            common_z: ((i % 7) as f64 - 3.0) * 0.4,
            industry: valuer.borrower_industry(),
            industry_z: 0.3,
        })
        .collect();
    group.throughput(Throughput::Elements(PATHS));
    group.bench_function(
        format!("liquidation_given_each/next-gen-it-10/{PATHS}-states"),
        |b| {
            b.iter(|| {
                let mut rng = stream(1, Domain::Credit, 0);
                let mut out = vec![CollateralAtDefault::default(); states.len()];
                for (s, o) in states
                    .chunks(BATCH_PATHS as usize)
                    .zip(out.chunks_mut(BATCH_PATHS as usize))
                {
                    valuer.liquidation_given_each(&mut rng, s, o);
                }
                out.iter().map(|o| o.sale).sum::<f64>()
            })
        },
    );
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
