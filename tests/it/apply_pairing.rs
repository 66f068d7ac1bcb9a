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
    };
    let job = Job {
        plan: &plan,
        source: PlanSource::Saved,
        desired: &DesiredSet::default(),
        secrets: &Secrets::new(&[]),
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
