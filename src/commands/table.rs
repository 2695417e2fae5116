//! Plain tables as kubectl prints them: each column as wide as its widest
//! cell, three spaces between columns, no padding after the last. Column
//! widths come from the cells, so a long name (`status -A`'s namespaces)
//! never pushes the rest of its row out of line.

pub struct Table {
    rows: Vec<Vec<String>>,
    /// Columns aligned to the right (counts), by index.
    right: Vec<usize>,
}

const GAP: &str = "   ";

/// Characters, not bytes: names and versions are cleaned text, one column
/// a character.
fn width(cell: &str) -> usize {
    cell.chars().count()
}

impl Table {
    pub fn new(headers: &[&str]) -> Table {
        Table {
            rows: vec![headers.iter().map(|h| (*h).to_owned()).collect()],
            right: Vec::new(),
        }
    }

    /// Aligns these columns to the right.
    pub fn right(mut self, columns: &[usize]) -> Table {
        self.right = columns.to_vec();
        self
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn render(&self) -> String {
        let columns = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let widths: Vec<usize> = (0..columns)
            .map(|c| {
                self.rows
                    .iter()
                    .map(|r| r.get(c).map_or(0, |cell| width(cell)))
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        for row in &self.rows {
            let mut line = String::new();
            for (c, column_width) in widths.iter().enumerate() {
                let cell = row.get(c).map_or("", String::as_str);
                let pad = " ".repeat(column_width.saturating_sub(width(cell)));
                if c > 0 {
                    line.push_str(GAP);
                }
                if self.right.contains(&c) {
                    line.push_str(&pad);
                    line.push_str(cell);
                } else {
                    line.push_str(cell);
                    line.push_str(&pad);
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::Table;

    #[test]
    fn columns_are_as_wide_as_their_widest_cell() {
        let mut t = Table::new(&["NAME", "READY", "AGE"]).right(&[1]);
        t.row(vec![
            "a-very-long-deployment-name-indeed".into(),
            "3/3".into(),
            "5m".into(),
        ]);
        t.row(vec!["b".into(), "10/10".into(), "2d".into()]);
        assert_eq!(
            t.render(),
            "NAME                                 READY   AGE\n\
             a-very-long-deployment-name-indeed     3/3   5m\n\
             b                                    10/10   2d\n"
        );
    }
}
