//! `validate -o junit|tap|name`: the reports in the formats CI pipelines
//! read (kubeconform writes the same two).

use std::io::Write;

use anyhow::Result;
use kubescribe_core::quote::Printable as P;
use kubescribe_validate::{Diagnostic, DocumentReport};

use super::Unreadable;

/// One line naming a document and its first error (`-o name`'s standard error).
pub(super) fn finding_summary(r: &DocumentReport) -> String {
    let at = r.line.map(|l| format!(":{l}")).unwrap_or_default();
    let first = r
        .diagnostics
        .iter()
        .find(|d| d.is_error())
        .map(|d| format!(": {}", P(d.to_string())))
        .unwrap_or_default();
    format!(
        "{}{at}: {} {}: invalid{first}",
        P(&r.source),
        P(r.kind.as_deref().unwrap_or("document")),
        P(r.name.as_deref().unwrap_or(""))
    )
}

/// Text safe in XML content and attributes (control characters dropped:
/// XML 1.0 cannot carry them).
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\t' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

fn test_name(r: &DocumentReport) -> String {
    let at = r.line.map(|l| format!(":{l}")).unwrap_or_default();
    format!(
        "{}{at} {} {}",
        r.source,
        r.kind.as_deref().unwrap_or("document"),
        r.name.as_deref().unwrap_or("")
    )
    .trim_end()
    .to_string()
}

fn finding(r: &DocumentReport, d: &Diagnostic) -> String {
    let at = d
        .line
        .map(|l| format!("{}:{l}: ", r.source))
        .unwrap_or_default();
    format!("{at}{d} [layer {} {}]", d.layer.number(), d.rule)
}

/// JUnit XML: one test suite per file, one test case per document; an
/// invalid document is a failure listing its errors, an unreadable file an
/// error; warnings go to the case's system-out.
pub(super) fn write_junit(
    out: &mut impl Write,
    reports: &[DocumentReport],
    unreadable: &[Unreadable],
) -> Result<()> {
    let failures = reports.iter().filter(|r| !r.valid).count();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="kubescribe validate" tests="{}" failures="{failures}" errors="{}">"#,
        reports.len() + unreadable.len(),
        unreadable.len()
    )?;
    let mut sources: Vec<&str> = Vec::new();
    for r in reports {
        if !sources.contains(&r.source.as_str()) {
            sources.push(&r.source);
        }
    }
    for source in sources {
        let mine: Vec<&DocumentReport> = reports.iter().filter(|r| r.source == source).collect();
        writeln!(
            out,
            r#"  <testsuite name="{}" tests="{}" failures="{}">"#,
            xml(source),
            mine.len(),
            mine.iter().filter(|r| !r.valid).count()
        )?;
        for r in mine {
            writeln!(
                out,
                r#"    <testcase name="{}" classname="{}">"#,
                xml(&test_name(r)),
                xml(r.kind.as_deref().unwrap_or("document"))
            )?;
            if !r.valid {
                let errors: Vec<String> = r
                    .diagnostics
                    .iter()
                    .filter(|d| d.is_error())
                    .map(|d| finding(r, d))
                    .collect();
                writeln!(
                    out,
                    r#"      <failure message="{}" type="invalid">{}</failure>"#,
                    xml(errors.first().map(String::as_str).unwrap_or("invalid")),
                    xml(&errors.join("\n"))
                )?;
            }
            let warnings: Vec<String> = r
                .diagnostics
                .iter()
                .filter(|d| !d.is_error())
                .map(|d| format!("warning: {}", finding(r, d)))
                .collect();
            if !warnings.is_empty() {
                writeln!(
                    out,
                    "      <system-out>{}</system-out>",
                    xml(&warnings.join("\n"))
                )?;
            }
            writeln!(out, "    </testcase>")?;
        }
        writeln!(out, "  </testsuite>")?;
    }
    for u in unreadable {
        writeln!(
            out,
            r#"  <testsuite name="{0}" tests="1" failures="0" errors="1"><testcase name="{0}" classname="file"><error message="{1}" type="unreadable"></error></testcase></testsuite>"#,
            xml(&u.source),
            xml(&u.error)
        )?;
    }
    writeln!(out, "</testsuites>")?;
    Ok(())
}

/// TAP version 13: one test point per unreadable file and per document,
/// each finding a `#` line under it.
pub(super) fn write_tap(
    out: &mut impl Write,
    reports: &[DocumentReport],
    unreadable: &[Unreadable],
) -> Result<()> {
    writeln!(out, "TAP version 13")?;
    writeln!(out, "1..{}", reports.len() + unreadable.len())?;
    let mut n = 0;
    for u in unreadable {
        n += 1;
        writeln!(out, "not ok {n} - {}", P(u.source.replace('#', "\\#")))?;
        writeln!(out, "  # cannot read: {}", P(&u.error))?;
    }
    for r in reports {
        n += 1;
        writeln!(
            out,
            "{} {n} - {}",
            if r.valid { "ok" } else { "not ok" },
            P(test_name(r).replace('#', "\\#"))
        )?;
        for d in &r.diagnostics {
            writeln!(
                out,
                "  # {}: {}",
                if d.is_error() { "error" } else { "warning" },
                P(finding(r, d))
            )?;
        }
    }
    Ok(())
}
