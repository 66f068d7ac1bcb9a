//! The pure stages alone, in process: normalise + diff + plan of N builds against a live state
//! where every build is unchanged (the steady state a CI plan and the daemon see most), at
//! N = 100, 1,000 and 10,000, to show the cost grows linearly. Run with `cargo bench`;
//! results are recorded in docs/benchmarks.md.

use zadig_sync::reconcile::desired::{DesiredBuild, DesiredSet, Origin};
use zadig_sync::reconcile::live::{LiveBuild, LiveDetail, LiveProject};
use zadig_sync::reconcile::marker::request_body;
use zadig_sync::reconcile::plan::{DriftPolicy, NoHistory, PlanOptions, make_plan};
use zadig_sync::reconcile::redact::Secrets;
use zadig_sync::reconcile::spec::BuildSpec;
use zadig_sync::reconcile::wire::DetailResponse;

fn main() {
    divan::main();
}

/// The detail Zadig returns for `minimal.json`, which every generated build mirrors.
const FIXTURE: &str = include_str!("../tests/fixtures/zadig/minimal.json");

const PROJECTS: usize = 10;

/// `n` builds over ten projects, as the files hold them and as Zadig holds them after
/// zadig-sync wrote them (marker included).
fn state(n: usize) -> (DesiredSet, Vec<LiveProject>) {
    let fixture: serde_json::Value = serde_json::from_str(FIXTURE).expect("fixture is JSON");
    let mut builds = Vec::with_capacity(n);
    let mut live: Vec<Vec<LiveBuild>> = (0..PROJECTS).map(|_| Vec::new()).collect();
    for i in 0..n {
        let project = format!("project-{}", i % PROJECTS);
        let name = format!("build-{i}");
        let mut body = fixture["create_request"]["body"].clone();
        body["name"] = name.clone().into();
        body["project_key"] = project.clone().into();
        body["build_script"] = format!("make build-{i}\nmake test\n").into();
        let spec: BuildSpec = serde_json::from_value(body).expect("a build spec");
        let mut detail: DetailResponse =
            serde_json::from_value(fixture["detail_response"]["body"].clone()).expect("detail");
        detail.name = name.clone();
        detail.project_key = project;
        if let BuildSpec::Custom(custom) = request_body(&spec) {
            detail.build_script = custom.build_script;
        }
        live[i % PROJECTS].push(LiveBuild {
            name,
            update_time: 1_764_115_200,
            detail: Ok(LiveDetail::custom(detail)),
        });
        let origin = Origin {
            path: format!("builds.d/build-{i}.yaml").into(),
            line: 1,
            column: 1,
        };
        builds.push(DesiredBuild { spec, origin });
    }
    let desired = DesiredSet {
        builds,
        file_count: n,
        secrets: Vec::new(),
    };
    let live = (live.into_iter().enumerate())
        .map(|(index, builds)| LiveProject {
            project: format!("project-{index}"),
            listing: Ok(builds),
        })
        .collect();
    (desired, live)
}

#[divan::bench(args = [100, 1_000, 10_000], sample_count = 10)]
fn normalise_diff_plan(bencher: divan::Bencher, n: usize) {
    let (desired, live) = state(n);
    let options = PlanOptions {
        prune: true,
        max_deletes: 5,
        drift: DriftPolicy::Correct,
    };
    let secrets = Secrets::new(&["a-token-value".to_string()]);
    bencher.bench(|| {
        let plan = make_plan(&desired, &live, &options, &NoHistory, &secrets);
        assert!(!plan.has_changes(), "every build is unchanged");
        plan
    });
}
