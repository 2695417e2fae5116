//! Selection and filter of one list view. The visible rows are derived from
//! the data and the filter each time; only the selection is stored.

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ListCursor {
    pub selected: usize,
    pub filter: String,
}

impl ListCursor {
    /// Moves by `delta` rows within `len` rows, stopping at the ends.
    pub fn move_by(&mut self, delta: isize, len: usize) {
        if len == 0 {
            self.selected = 0;
            return;
        }
        let target = self.selected as isize + delta;
        self.selected = target.clamp(0, len as isize - 1) as usize;
    }

    pub fn top(&mut self) {
        self.selected = 0;
    }

    pub fn bottom(&mut self, len: usize) {
        self.selected = len.saturating_sub(1);
    }

    /// Keeps the selection inside a list that changed length.
    pub fn clamp(&mut self, len: usize) {
        self.selected = self.selected.min(len.saturating_sub(1));
    }

    pub fn set_filter(&mut self, filter: &str) {
        if self.filter != filter {
            self.filter = filter.to_owned();
            self.selected = 0;
        }
    }

    /// Case-insensitive match of the filter against any of `fields`; an
    /// empty filter matches everything.
    pub fn matches<'a>(&self, fields: impl IntoIterator<Item = &'a str>) -> bool {
        if self.filter.is_empty() {
            return true;
        }
        let needle = self.filter.to_lowercase();
        fields.into_iter().any(|f| f.to_lowercase().contains(&needle))
    }
}
