//! The pure stages alone, in process: normalise + diff + plan of N builds against a live state
//! where every build is unchanged (the steady state a CI plan and the daemon see most), at
//! N = 100, 1,000 and 10,000, to show the cost grows linearly; and the pure half of the loader
//! over 10,000 files in memory. Run with `cargo bench`; results are recorded in
//! docs/benchmarks.md.

use std::path::Path;

use zadig_sync::load::files::FileError;
use zadig_sync::load::{ReferenceMode, Source, load_sources};
use zadig_sync::reconcile::desired::{DesiredBuild, DesiredSet, Inherited, Origin};
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
        builds.push(DesiredBuild {
            spec,
            origin,
            inherited: Inherited::default(),
        });
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

/// Builds in the loading benchmarks: as many as the largest planning size.
const LOADED: usize = 10_000;

/// One build file as teams write them without defaults: every setting spelled out.
fn self_contained_file(i: usize) -> String {
    format!(
        "name: bench-{i}\n\
         project_key: project-{project}\n\
         infrastructure: kubernetes\n\
         build_os: ubuntu 20.04\n\
         script_type: shell\n\
         build_script: make build-{i}\n\
         installs: [{{name: go, version: 1.22.1}}]\n\
         repo_info: [{{codehost_name: github, repo_namespace: bench, repo_name: svc-{i}, branch: main}}]\n\
         parameters: [{{key: LEVEL, type: string, default_value: info}}]\n\
         advanced_settings:\n  cluster_name: local\n  timeout: 60\n  \
         resource_spec: {{cpu_limit: 1000, memory_limit: 512, cpu_req: 100, memory_req: 128}}\n  \
         cache_setting: {{enabled: true, cache_dir: /cache}}\n",
        project = i % PROJECTS
    )
}

/// `LOADED` build files, one folder per project, each file holding everything.
fn self_contained_sources() -> Vec<Source> {
    (0..LOADED)
        .map(|i| Source {
            path: format!("builds.d/project-{}/b{i}.yaml", i % PROJECTS).into(),
            text: self_contained_file(i),
        })
        .collect()
}

fn no_env(_: &str) -> Option<String> {
    None
}

fn no_file(path: &Path) -> Result<String, FileError> {
    Err(FileError::NotRegularFile {
        path: path.to_path_buf(),
    })
}

/// The pure half of the loader (parse, rules, references, schema check, names) over
/// `LOADED` files already in memory: what every plan and daemon pass does before planning.
#[divan::bench(sample_count = 10)]
fn load_self_contained(bencher: divan::Bencher) {
    let sources = self_contained_sources();
    bencher.bench(|| {
        let outcome = load_sources(&sources, ReferenceMode::Online, &no_env, &no_file);
        assert_eq!(outcome.desired.builds.len(), LOADED, "every build loads");
        outcome
    });
}

/// The same builds as [`self_contained_sources`], their shared settings written once: in a
/// defaults file at the root (image, tools, cluster, resources) and one per project folder
/// (project, parameters), each build file keeping its name, script, repository and timeout.
fn under_defaults_sources() -> Vec<Source> {
    let root = Source {
        path: "builds.d/_defaults.yaml".into(),
        text: "infrastructure: kubernetes\nbuild_os: ubuntu 20.04\nscript_type: shell\n\
               installs: [{name: go, version: 1.22.1}]\n\
               advanced_settings:\n  cluster_name: local\n  \
               resource_spec: {cpu_limit: 1000, memory_limit: 512, cpu_req: 100, memory_req: 128}\n  \
               cache_setting: {enabled: true, cache_dir: /cache}\n"
            .to_string(),
    };
    let projects = (0..PROJECTS).map(|project| Source {
        path: format!("builds.d/project-{project}/_defaults.yaml").into(),
        text: format!(
            "project_key: project-{project}\n\
             parameters: [{{key: LEVEL, type: string, default_value: info}}]\n"
        ),
    });
    let builds = (0..LOADED).map(|i| Source {
        path: format!("builds.d/project-{}/b{i}.yaml", i % PROJECTS).into(),
        text: format!(
            "name: bench-{i}\nbuild_script: make build-{i}\n\
             repo_info: [{{codehost_name: github, repo_namespace: bench, repo_name: svc-{i}, branch: main}}]\n\
             advanced_settings: {{timeout: 60}}\n"
        ),
    });
    std::iter::once(root)
        .chain(projects)
        .chain(builds)
        .collect()
}

/// [`load_self_contained`] with the shared settings in defaults files: the cost of merging.
#[divan::bench(sample_count = 10)]
fn load_under_defaults(bencher: divan::Bencher) {
    let sources = under_defaults_sources();
    let load = |sources: &[Source]| {
        let outcome = load_sources(sources, ReferenceMode::Online, &no_env, &no_file);
        assert!(outcome.diagnostics.is_empty(), "{:?}", outcome.diagnostics);
        outcome
    };
    let merged: Vec<BuildSpec> = load(&sources)
        .desired
        .builds
        .into_iter()
        .map(|b| b.spec)
        .collect();
    let whole: Vec<BuildSpec> = (load(&self_contained_sources()).desired.builds.into_iter())
        .map(|b| b.spec)
        .collect();
    assert!(
        merged == whole,
        "the merged builds are the self-contained ones"
    );
    bencher.bench(|| load(&sources));
}
