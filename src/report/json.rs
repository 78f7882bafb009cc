//! JSON report: the [`Report`] serialised, pretty-printed, with a final newline. The wire
//! format is documented on [`crate::report`].

use crate::report::{Renderer, Report};
use std::io;

pub struct JsonRenderer;

impl Renderer for JsonRenderer {
    fn render(&self, report: &Report, out: &mut dyn io::Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, report)?;
        out.write_all(b"\n")
    }
}
