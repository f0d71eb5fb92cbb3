//! The examples of docs/oidc.md and README.md, read out of the page: each
//! is the fenced block that follows a `<!-- interop: NAME -->` comment, so
//! the tests run (or compare against) exactly what a newcomer copies.

use std::path::Path;

/// The page at `path` in the repository.
fn page(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

/// The fenced block of docs/oidc.md after `<!-- interop: NAME -->`.
#[track_caller]
pub fn block(name: &str) -> String {
    block_of("docs/oidc.md", name)
}

/// The fenced block of the page at `path` after `<!-- interop: NAME -->`,
/// without its fences and without the indentation of its fence (the blocks
/// sit in list items).
#[track_caller]
pub fn block_of(path: &str, name: &str) -> String {
    let page = page(path);
    let marker = format!("<!-- interop: {name} -->");
    let after = &page[page.find(&marker).unwrap_or_else(|| panic!("{path} has no {marker}")) + marker.len()..];
    let mut lines = after.lines().skip(1).skip_while(|line| line.trim().is_empty());
    let fence = lines.next().unwrap_or_default();
    let indent = fence.len() - fence.trim_start().len();
    assert!(fence.trim_start().starts_with("```"), "{marker} is not followed by a fenced block");
    let mut text = String::new();
    for line in lines.take_while(|line| !line.trim_start().starts_with("```")) {
        let unindented = line.get(indent..).unwrap_or_default();
        assert!(line.len() < indent || line[..indent].trim().is_empty(), "{name}: a line left of its fence: {line}");
        text.push_str(unindented);
        text.push('\n');
    }
    text
}

/// The body of the here-document (`cat > FILE <<EOF` … `EOF`) in the block
/// after `<!-- interop: NAME -->`.
#[track_caller]
pub fn heredoc(name: &str) -> String {
    let block = block(name);
    let mut lines = block.lines().skip_while(|line| !(line.ends_with("<<EOF") || line.ends_with("<<'EOF'")));
    assert!(lines.next().is_some(), "the block {name} holds no here-document");
    let mut text = String::new();
    for line in lines.take_while(|line| *line != "EOF") {
        text.push_str(line);
        text.push('\n');
    }
    text
}

/// `text` with every `from` replaced by its `to`, all in one pass (so a
/// replacement is never replaced again); each `from` must occur.
#[track_caller]
pub fn substitute(text: &str, replacements: &[(&str, &str)]) -> String {
    for (from, _) in replacements {
        assert!(text.contains(from), "the example no longer holds {from}:\n{text}");
    }
    let mut out = String::new();
    let mut rest = text;
    'scan: while let Some(c) = rest.chars().next() {
        for (from, to) in replacements {
            if let Some(after) = rest.strip_prefix(from) {
                out.push_str(to);
                rest = after;
                continue 'scan;
            }
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Asserts that docs/oidc.md shows `file` (under tests/interop/) verbatim
/// after `<!-- interop: NAME -->`.
#[track_caller]
pub fn assert_shows_file(name: &str, file: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop").join(file);
    let wanted = std::fs::read_to_string(&path).unwrap();
    assert_eq!(block(name), wanted, "docs/oidc.md ({name}) no longer shows tests/interop/{file} as it is");
}

/// The names of the page's `<!-- interop: NAME -->` markers, in order.
fn markers(path: &str) -> Vec<String> {
    let page = page(path);
    page.split("<!-- interop: ").skip(1).map(|rest| rest[..rest.find(" -->").unwrap()].to_owned()).collect()
}

#[test]
fn the_chinese_guide_shows_the_english_guides_examples_unchanged() {
    let english = markers("docs/oidc.md");
    let chinese = markers("docs/oidc.zh-CN.md");

    assert_eq!(chinese, english, "the same examples in the same order");
    for name in &english {
        assert_eq!(block_of("docs/oidc.zh-CN.md", name), block(name), "docs/oidc.zh-CN.md ({name})");
    }
    assert!(english.len() >= 6, "Apache, Authlib and openid-client: {english:?}");
}
