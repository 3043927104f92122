//! The QR page in a real browser: headless Chromium at a phone's size, driven
//! through chromedriver's W3C WebDriver API (plain JSON over HTTP).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use sancha_server::domain::Role;
use sancha_tests::*;
use serde_json::{json, Value};

/// The W3C WebDriver key of an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

struct Browser {
    driver: Child,
    base: String,
    session: String,
    agent: ureq::Agent,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Chromium under chromedriver, or `None` when either is not installed.
    fn start() -> Option<Browser> {
        let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(60))
            .build();
        let base = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while agent.get(&format!("{base}/status")).call().is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let profile = tempfile::tempdir().expect("profile dir");
        let args = [
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--no-first-run".into(),
            "--window-size=360,740".into(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": chromium,
            "args": args,
            "mobileEmulation": {"deviceMetrics": {"width": 360, "height": 740, "pixelRatio": 2.0}},
        }}}});
        let mut b = Browser {
            driver,
            base,
            session: String::new(),
            agent,
            _profile: profile,
        };
        let session = b.call("POST", "/session", Some(caps));
        b.session = session["sessionId"]
            .as_str()
            .expect("a session id")
            .to_string();
        Some(b)
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.base);
        let req = self.agent.request(method, &url);
        let res = match body {
            Some(b) => req.send_json(b),
            None => req.call(),
        };
        let r = match res {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{method} {path}: {e}"),
        };
        let v: Value = r.into_json().expect("WebDriver answers JSON");
        assert!(
            v["value"]["error"].is_null(),
            "{method} {path}: {}",
            v["value"]
        );
        v["value"].clone()
    }

    fn session_call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.call(method, &format!("/session/{}{path}", self.session), body)
    }

    fn open(&self, url: &str) {
        self.session_call("POST", "/url", Some(json!({ "url": url })));
    }

    fn dom(&self) -> String {
        self.session_call("GET", "/source", None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    fn find(&self, css: &str) -> String {
        let el = self.session_call(
            "POST",
            "/element",
            Some(json!({"using": "css selector", "value": css})),
        );
        el[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {el}"))
            .to_string()
    }

    fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css);
        self.session_call(
            "POST",
            &format!("/element/{el}/value"),
            Some(json!({ "text": text })),
        );
    }

    fn click(&self, css: &str) {
        let el = self.find(css);
        self.session_call("POST", &format!("/element/{el}/click"), Some(json!({})));
    }

    fn viewport_width(&self) -> i64 {
        self.session_call(
            "POST",
            "/execute/sync",
            Some(json!({"script": "return window.innerWidth", "args": []})),
        )
        .as_i64()
        .unwrap_or(0)
    }

    fn screenshot(&self, path: &std::path::Path) {
        let b64 = self.session_call("GET", "/screenshot", None);
        let png = base64::engine::general_purpose::STANDARD
            .decode(b64.as_str().unwrap_or_default())
            .expect("base64 PNG");
        std::fs::create_dir_all(path.parent().expect("a directory")).expect("artifact dir");
        std::fs::write(path, png).expect("write screenshot");
    }

    fn wait_for(&self, text: &str) -> String {
        let started = Instant::now();
        loop {
            let dom = self.dom();
            if dom.contains(text) {
                return dom;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "{text} never appeared: {dom}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self
                .agent
                .delete(&format!("{}/session/{}", self.base, self.session))
                .call();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Where test artifacts go: `target/e2e/`.
fn artifact(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../target/e2e")
        .join(name)
}

#[test]
fn a_phone_sized_chromium_renders_the_card_page_and_sends_a_report() {
    let Some(browser) = Browser::start() else {
        eprintln!("skipped: chromium and chromedriver are not installed (apt-get install chromium chromium-driver)");
        return;
    };
    let app = TestApp::spawn();
    app.seed_example_regions();
    app.seed_user("office", Role::VillageOffice, VILLAGE);
    let household_id = app.seed_household(input(&example_household()));
    let office = app.token("office");

    // Scan the household's card: the QR code's URL, pointed at this server.
    let (status, _, png) = app.get_bytes(
        &format!("/api/v1/households/{household_id}/card.png"),
        Some(&office),
    );
    assert_eq!(status, 200);
    let scanned = decode_qr_codes(&image::load_from_memory(&png).expect("the card").to_luma8());
    let path = scanned
        .first()
        .and_then(|url| url.strip_prefix(PUBLIC_BASE_URL))
        .expect("the card's QR code carries the page URL")
        .to_string();
    browser.open(&app.url(&path));
    let dom = browser.wait_for("双龙村");
    let width = browser.viewport_width();
    assert!(
        (320..=360).contains(&width),
        "a phone-sized viewport, not {width} px"
    );
    for shown in ["张**", "13904180001", "<form", "反映问题"] {
        assert!(dom.contains(shown), "{shown} not rendered");
    }
    assert!(!dom.contains("张建国"));
    browser.screenshot(&artifact("qr-page-360.png"));

    browser.click("option[value=benefit_missing]");
    browser.type_into("#text", "去年的产业分红没有收到");
    browser.type_into("#contact", "13912345678");
    browser.click("button[type=submit]");
    browser.wait_for("受理编号");
    browser.screenshot(&artifact("qr-page-thanks.png"));

    // The village office sees it as an open finding.
    let r = app.get(
        "/api/v1/findings?status=open&code=resident.feedback",
        Some(&office),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", r.text);
    assert_eq!(items[0]["household_id"], household_id.as_str());
}
