//! `apply::execute` pairs every write step with the spec the files give it before the first
//! write: a plan that writes a build no file describes is refused whole, and nothing is sent.

use wiremock::MockServer;
use zadig_sync::apply::outcome::OutcomeStatus;
use zadig_sync::apply::{Job, PlanSource, StopSignal, execute};
use zadig_sync::reconcile::BuildId;
use zadig_sync::reconcile::desired::DesiredSet;
use zadig_sync::reconcile::plan::{PLAN_FORMAT_VERSION, Phase, Plan, Planned, Step};
use zadig_sync::reconcile::redact::Secrets;
use zadig_sync::reconcile::spec::BuildKind;

use crate::util::client::client;

fn create(name: &str) -> Step {
    Step {
        build: BuildId::new("shop", name),
        kind: BuildKind::Custom,
        planned: Planned::Create {
            fingerprint: "sha256:0".into(),
            phase: Phase::Writes,
        },
        cause: None,
        changes: Vec::new(),
        origin: None,
        notes: Vec::new(),
        updated_by: None,
    }
}

#[tokio::test]
async fn a_write_with_no_file_behind_it_refuses_the_whole_run_before_any_request() {
    let server = MockServer::start().await;
    let plan = Plan {
        format_version: PLAN_FORMAT_VERSION,
        projects: vec!["shop".into()],
        steps: vec![create("ghost"), create("other")],
        errors: Vec::new(),
        notes: Vec::new(),
        prune: false,
    };
    let job = Job {
        plan: &plan,
        source: PlanSource::Saved,
        desired: &DesiredSet::default(),
        secrets: &Secrets::default(),
        stop: &StopSignal::default(),
        revision: None,
    };
    let report = execute(&client(&server), job).await;
    assert_eq!(report.outcomes.len(), 2);
    for outcome in &report.outcomes {
        let OutcomeStatus::Refused(reason) = &outcome.status else {
            panic!("refused: {outcome:?}");
        };
        assert_eq!(
            reason,
            "nothing was applied: the plan writes builds that no build file describes \
             (shop/ghost, shop/other); make the plan again"
        );
    }
    let requests = server.received_requests().await.unwrap_or_default();
    assert!(requests.is_empty(), "nothing is sent: {requests:?}");
}

/// A saved plan's deletion of a build zadig-sync did not write (no marker) refuses the whole
/// run before its first write: the update beside it is not sent either.
#[tokio::test]
async fn a_saved_deletion_of_an_unmarked_build_refuses_the_run_before_any_write() {
    use wiremock::matchers::method;
    use wiremock::{Mock, ResponseTemplate};
    let server = MockServer::start().await;
    let detail = serde_json::json!({
        "name": "hand", "project_key": "shop", "update_time": 7,
        "build_script": "make # no marker",
    });
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(detail))
        .mount(&server)
        .await;
    let spec = crate::util::client::custom_spec();
    let mut update = create(spec.name());
    update.build = BuildId::new(spec.project_key(), spec.name());
    update.planned = Planned::Update {
        fingerprint: "sha256:0".into(),
        read_at: 7,
    };
    let mut delete = create("hand");
    delete.planned = Planned::Delete { read_at: 7 };
    let plan = Plan {
        format_version: PLAN_FORMAT_VERSION,
        projects: vec!["shop".into()],
        steps: vec![delete, update],
        errors: Vec::new(),
        notes: Vec::new(),
        prune: true,
    };
    let desired = DesiredSet {
        builds: vec![zadig_sync::reconcile::desired::DesiredBuild {
            spec,
            origin: zadig_sync::reconcile::desired::Origin {
                path: "a.yaml".into(),
                line: 1,
                column: 1,
            },
            inherited: Default::default(),
        }],
        ..DesiredSet::default()
    };
    let job = Job {
        plan: &plan,
        source: PlanSource::Saved,
        desired: &desired,
        secrets: &Secrets::default(),
        stop: &StopSignal::default(),
        revision: None,
    };
    let report = execute(&client(&server), job).await;
    for outcome in &report.outcomes {
        let OutcomeStatus::Refused(reason) = &outcome.status else {
            panic!("refused: {outcome:?}");
        };
        assert!(
            reason.contains("delete shop/hand: does not carry zadig-sync's marker"),
            "{reason}"
        );
    }
    let requests = server.received_requests().await.unwrap_or_default();
    assert!(
        requests.iter().all(|r| r.method.as_str() == "GET"),
        "nothing but reads: {requests:?}"
    );
}
