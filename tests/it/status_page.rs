//! The status page in a real headless Chromium, against a running daemon holding a build in
//! each state: what it shows once its script ran (a drifted build's patch with its copy
//! buttons included), its filters, a build opened from a link, and a build named with HTML
//! shown as text. Set `ZADIG_SYNC_SCREENSHOTS=DIR` to keep the
//! pictures (docs/status.md shows them).

use std::path::PathBuf;

use crate::util::browser::Browser;
use crate::util::status::{HOSTILE, four_states};

/// `(state, name)` of each build row, in the page's order.
fn rows(dom: &str) -> Vec<(String, String)> {
    let mut rows = Vec::new();
    for piece in dom.split(r#"<li class="build state-"#).skip(1) {
        let state = piece.split('"').next().unwrap_or_default().to_string();
        let name = piece
            .split(r#"<span class="name">"#)
            .nth(1)
            .and_then(|rest| rest.split("</span>").next())
            .unwrap_or_default()
            .to_string();
        rows.push((state, name));
    }
    rows
}

/// The text of the element with this id (up to its first tag).
fn text_of(dom: &str, id: &str) -> String {
    let start = dom.find(&format!(r#"id="{id}""#)).expect(id);
    let after = &dom[start..];
    let open = after.find('>').expect("a tag") + 1;
    after[open..]
        .split('<')
        .next()
        .unwrap_or_default()
        .to_string()
}

/// The escaped form a text node of [`HOSTILE`] takes in serialised HTML.
fn hostile_as_text() -> String {
    HOSTILE.replace('<', "&lt;").replace('>', "&gt;")
}

#[test]
fn the_page_shows_each_state_filters_and_keeps_a_hostile_name_as_text() {
    let Some(browser) = Browser::find() else {
        return;
    };
    let setup = four_states();
    let base = format!("http://{}", setup.daemon.addr);

    let dom = browser.dump_dom(&format!("{base}/"));
    assert!(
        dom.contains(r#"<body data-loaded="true">"#),
        "the script ran:\n{dom}"
    );
    let shown = rows(&dom);
    assert_eq!(
        shown,
        [
            ("failing".to_string(), "shop-worker".to_string()),
            ("refused".into(), "shop-old".into()),
            ("drifted".into(), "shop-api".into()),
            ("in_sync".into(), hostile_as_text()),
        ],
        "by project, the troubled first:\n{dom}"
    );
    assert_eq!(text_of(&dom, "shown"), "4 of 4 builds");
    // The name is text: no element was made of it, no handler ran.
    assert!(!dom.contains(r#"<img src="x""#), "{dom}");
    assert!(dom.contains("<title>zadig-sync status</title>"), "{dom}");
    assert!(!dom.contains("pwned</title>"));
    // Each build's changes and last error are there, behind its summary.
    assert!(
        dom.contains(r#"<code class="path">build_os</code>"#),
        "the drifted field:\n{dom}"
    );
    assert!(dom.contains("<dt>last error</dt><dd>status: POST"), "{dom}");
    // The drifted build's patch, as `zadig-sync pull` would write it, with copy buttons.
    assert!(
        dom.contains(
            r#"<code class="command">zadig-sync pull --build shop-api</code> <button class="copy" type="button">Copy command</button>"#
        ),
        "{dom}"
    );
    assert!(
        dom.contains(
            "<pre class=\"patch\">--- a/builds.d/shop/api.yaml\n+++ b/builds.d/shop/api.yaml\n"
        ),
        "{dom}"
    );
    assert!(
        dom.contains("-build_os: ubuntu 22.04\n+build_os: ubuntu 20.04\n"),
        "{dom}"
    );
    assert!(
        dom.contains(r#"<button class="copy" type="button">Copy patch</button>"#),
        "{dom}"
    );
    // The timeline and the build made by hand in Zadig.
    for kind in ["drift_found", "failed", "deletion_refused"] {
        assert!(
            dom.contains(&format!(r#"data-kind="{kind}""#)),
            "{kind} in the timeline:\n{dom}"
        );
    }
    assert!(dom.contains(r#"data-name="shop-hand""#), "{dom}");
    assert!(
        dom.contains(r#"<span class="chip-count">1</span> drifted"#),
        "{dom}"
    );

    let failing = browser.dump_dom(&format!("{base}/?state=failing"));
    assert_eq!(
        rows(&failing),
        [("failing".to_string(), "shop-worker".to_string())]
    );
    assert_eq!(text_of(&failing, "shown"), "1 of 4 builds");
    assert!(
        failing.contains(r#"class="chip state-failing active""#),
        "{failing}"
    );

    let web = browser.dump_dom(&format!("{base}/?project=web"));
    assert_eq!(rows(&web), [("in_sync".to_string(), hostile_as_text())]);
    assert!(
        !web.contains(r#"data-name="shop-hand""#),
        "kept builds follow the filter"
    );

    let linked = browser.dump_dom(&format!("{base}/#build=shop%2Fshop-api"));
    let opened: Vec<&str> = linked.split("<details open=\"\">").skip(1).collect();
    assert_eq!(opened.len(), 1, "{linked}");
    assert!(
        opened[0].starts_with(r#"<summary><span class="name">shop-api</span>"#),
        "{linked}"
    );

    let folder = std::env::var_os("ZADIG_SYNC_SCREENSHOTS").map(PathBuf::from);
    let scratch = tempfile::tempdir().expect("tempdir");
    let folder = folder.unwrap_or_else(|| scratch.path().to_path_buf());
    let linked = format!("{base}/#build=shop%2Fshop-api");
    browser.screenshot(&linked, (1200, 1000), false, &folder.join("status.png"));
    browser.screenshot(
        &linked,
        (390, 844),
        true,
        &folder.join("status-phone-dark.png"),
    );
}
