//! The QR code of a two-factor setup, drawn as inline SVG: the page's CSP
//! allows no `data:` image and no script, and an SVG element needs neither.

use qrcode::QrCode;
use qrcode::render::svg;

/// The smallest size drawn, in CSS pixels: phones read it from a screen.
const MIN_SIZE: u32 = 200;

/// `<svg …>…</svg>` of a QR code holding `text` (an `otpauth://` URI, which
/// fits easily), without the XML declaration an HTML page does not take.
/// `None` only if the text were too long for any QR code.
pub fn svg(text: &str) -> Option<String> {
    let code = QrCode::new(text.as_bytes()).ok()?;
    let drawn = code.render::<svg::Color<'_>>().min_dimensions(MIN_SIZE, MIN_SIZE).build();
    let start = drawn.find("<svg")?;
    Some(drawn.get(start..)?.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_otpauth_uri_draws_as_an_svg_element_and_nothing_else() {
        let drawn = svg("otpauth://totp/Gatehouse:ann%40example.com?secret=GEZDGNBVGY3TQOJQ&issuer=Gatehouse").unwrap();
        assert!(drawn.starts_with("<svg") && drawn.ends_with("</svg>"));
        assert!(!drawn.contains("<?xml") && !drawn.contains("style") && !drawn.contains("script"));
        assert!(!drawn.contains("ann"), "the text is in the pattern, not in the markup");
    }
}
