//! The rows of the registry lists (Models, Predict): which versions pass
//! a filter, in the order the lists show them.

use super::list_cursor::ListCursor;
use crate::domain::RegistryLoad;

/// A row of the Models list: indexes of a model and one of its versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionRow {
    pub model: usize,
    pub version: usize,
}

/// The registry's versions that pass `cursor`'s filter (by model name,
/// version, stage or alias), newest first within each model: the Models
/// and the Predict lists.
pub fn version_rows(load: Option<&RegistryLoad>, cursor: &ListCursor) -> Vec<VersionRow> {
    let Some(load) = load else {
        return Vec::new();
    };
    let mut rows = Vec::new();
    for (m, model) in load.models.iter().enumerate() {
        for (v, version) in model.versions.iter().enumerate() {
            let text = version.version.to_string();
            let fields = [model.name.as_str(), text.as_str(), version.stage.as_str()]
                .into_iter()
                .chain(version.aliases.iter().map(String::as_str));
            if cursor.matches(fields) {
                rows.push(VersionRow { model: m, version: v });
            }
        }
    }
    rows
}
