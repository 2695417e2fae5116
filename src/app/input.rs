//! A one-line text input for command and filter mode.

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Input {
    text: String,
    /// Cursor position in characters.
    cursor: usize,
}

/// An edit to the input line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    Insert(char),
    Backspace,
    Delete,
    Left,
    Right,
    Home,
    End,
    /// ctrl-u: clear the line.
    Clear,
    /// ctrl-w: delete the word before the cursor.
    DeleteWord,
}

impl Input {
    pub fn with_text(text: &str) -> Input {
        Input {
            text: text.to_owned(),
            cursor: text.chars().count(),
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn cursor(&self) -> usize {
        self.cursor
    }

    pub fn apply(&mut self, edit: Edit) {
        let len = self.text.chars().count();
        match edit {
            Edit::Insert(c) if !c.is_control() => {
                let at = self.byte_at(self.cursor);
                self.text.insert(at, c);
                self.cursor += 1;
            }
            Edit::Insert(_) => {}
            Edit::Backspace if self.cursor > 0 => {
                self.cursor -= 1;
                let at = self.byte_at(self.cursor);
                self.text.remove(at);
            }
            Edit::Delete if self.cursor < len => {
                let at = self.byte_at(self.cursor);
                self.text.remove(at);
            }
            Edit::Backspace | Edit::Delete => {}
            Edit::Left => self.cursor = self.cursor.saturating_sub(1),
            Edit::Right => self.cursor = (self.cursor + 1).min(len),
            Edit::Home => self.cursor = 0,
            Edit::End => self.cursor = len,
            Edit::Clear => *self = Input::default(),
            Edit::DeleteWord => {
                let chars: Vec<char> = self.text.chars().collect();
                let mut start = self.cursor;
                while start > 0 && chars[start - 1] == ' ' {
                    start -= 1;
                }
                while start > 0 && chars[start - 1] != ' ' {
                    start -= 1;
                }
                self.text = chars[..start].iter().chain(&chars[self.cursor..]).collect();
                self.cursor = start;
            }
        }
    }

    fn byte_at(&self, char_index: usize) -> usize {
        self.text
            .char_indices()
            .nth(char_index)
            .map_or(self.text.len(), |(i, _)| i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_work_on_characters_not_bytes() {
        let mut input = Input::default();
        for c in "ns prød".chars() {
            input.apply(Edit::Insert(c));
        }
        input.apply(Edit::Left);
        input.apply(Edit::Backspace);
        assert_eq!(input.text(), "ns prd");
        input.apply(Edit::End);
        input.apply(Edit::DeleteWord);
        assert_eq!(input.text(), "ns ");
        input.apply(Edit::Clear);
        assert_eq!(input.text(), "");
    }
}
