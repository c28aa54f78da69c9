//! JUnit XML for CI dashboards: one test case per SLO term, plus one for the ledger.
//!
//! CI systems (GitLab, Jenkins, GitHub test reporters) read this format; a
//! failed term becomes a `<failure>` whose message names the measured value.

use std::fmt::Write as _;

use super::report::LoadReport;
use super::slo::Verdict;

/// Escapes text for an XML attribute or element.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            c if c.is_control() && c != '\n' && c != '\t' => {}
            c => escaped.push(c),
        }
    }
    escaped
}

/// The JUnit document for `report` and the SLO `verdicts`.
pub fn to_junit(report: &LoadReport, verdicts: &[Verdict]) -> String {
    let ledger_ok = report.ledger.balanced();
    let failures =
        verdicts.iter().filter(|verdict| !verdict.passed).count() + usize::from(!ledger_ok);
    let mut xml = String::new();
    let _ = writeln!(xml, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    let _ = writeln!(
        xml,
        r#"<testsuites name="switchboard load" tests="{}" failures="{failures}" time="{:.3}">"#,
        verdicts.len() + 1,
        report.elapsed_s
    );
    let _ = writeln!(
        xml,
        r#"  <testsuite name="switchboard load {}" tests="{}" failures="{failures}" time="{:.3}">"#,
        escape(&report.run_id),
        verdicts.len() + 1,
        report.elapsed_s
    );
    let _ = write!(
        xml,
        r#"    <testcase classname="load" name="ledger balances">"#
    );
    if !ledger_ok {
        let _ = write!(xml, r#"<failure message="the ledger does not balance"/>"#);
    }
    let _ = writeln!(xml, "</testcase>");
    for verdict in verdicts {
        let _ = write!(
            xml,
            r#"    <testcase classname="load.slo" name="{}">"#,
            escape(&verdict.objective)
        );
        if !verdict.passed {
            let _ = write!(
                xml,
                r#"<failure message="{}"/>"#,
                escape(&verdict.to_string())
            );
        }
        let _ = writeln!(xml, "</testcase>");
    }
    let _ = writeln!(
        xml,
        "    <system-out>{}</system-out>",
        escape(&report.to_text())
    );
    let _ = writeln!(xml, "  </testsuite>");
    let _ = writeln!(xml, "</testsuites>");
    xml
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(escape(r#"p99<5ms & "x""#), "p99&lt;5ms &amp; &quot;x&quot;");
        assert_eq!(escape("a\u{1b}b"), "ab");
    }
}
