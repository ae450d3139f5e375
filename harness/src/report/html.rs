//! The HTML form of a report: one self-contained page (no network, no external assets)
//! that shows the timeline as swimlanes and steps through it with a slider or the arrow
//! keys, with the state after each step (tasks, holds, waits, channel contents).
//!
//! The page embeds the report's JSON ([`Report::to_json`]) and the steps computed from it
//! (`steps.rs`); `html/report.js` renders both. Opened with `#steps=Home,Right,End` in
//! its address, the page presses those keys itself and logs what it shows after each
//! into `#rw-log`, for the browser test.

use super::Report;
use super::steps;

const PAGE: &str = include_str!("html/page.html");
const STYLE: &str = include_str!("html/report.css");
const SCRIPT: &str = include_str!("html/report.js");

/// The page shows at most this many of the last steps; the state of each is computed
/// from the start all the same.
const STEP_ROWS: usize = 1000;

pub(super) fn render(report: &Report) -> String {
    let (skipped, steps) = steps::last_steps(report, STEP_ROWS);
    let view = serde_json::json!({ "skipped": skipped, "steps": steps });
    let title = match (report.stopped_at(), report.failure()) {
        (Some(step), _) => format!("racewright: {} stopped at step {step}", report.test()),
        (None, Some(failure)) => format!("racewright: {} in {}", failure.kind(), report.test()),
        (None, None) => format!("racewright: {}", report.test()),
    };
    fill(PAGE, |name| match name {
        "title" => escape_text(&title),
        "style" => STYLE.to_string(),
        "script" => SCRIPT.to_string(),
        "report" => script_data(&report.to_json()),
        "steps" => script_data(&serde_json::to_string(&view).expect("steps are plain data")),
        other => unreachable!("the page template has no slot `{other}`"),
    })
}

/// The template with each `{{name}}` replaced, in one pass: what is put in is never read
/// again as a slot.
fn fill(template: &str, value: impl Fn(&str) -> String) -> String {
    let mut page = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let end = rest[start..].find("}}").map(|end| start + end).expect("a slot of the page template is closed");
        page.push_str(&rest[..start]);
        page.push_str(&value(&rest[start + 2..end]));
        rest = &rest[end + 2..];
    }
    page.push_str(rest);
    page
}

/// JSON made safe inside `<script type="application/json">`: no `<` can end the element.
/// (`<` appears only inside JSON strings, where `\u003c` means the same.)
fn script_data(json: &str) -> String {
    json.replace('<', "\\u003c")
}

fn escape_text(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_filled_once() {
        let page = fill("<a>{{x}}</a>{{y}}", |name| if name == "x" { "{{y}}".to_string() } else { "Y".to_string() });
        assert_eq!(page, "<a>{{y}}</a>Y");
    }

    #[test]
    fn embedded_json_cannot_close_its_script() {
        let json = serde_json::to_string("</script><!--").unwrap();
        let embedded = script_data(&json);
        assert!(!embedded.contains('<'));
        assert_eq!(serde_json::from_str::<String>(&embedded).unwrap(), "</script><!--");
    }
}
