//! The notes a run returns in its summary, for the person who started it.

/// At most this many notes, then one saying where the rest are.
const MAX_NOTES: usize = 50;

/// A run's notes. A run over thousands of records must not return thousands
/// of lines: past [`MAX_NOTES`] one line points to the activity log, which
/// has every record.
#[derive(Debug, Default)]
pub struct Notes(Vec<String>);

impl Notes {
    pub fn push(&mut self, note: String) {
        if self.0.len() < MAX_NOTES {
            self.0.push(note);
        } else if self.0.len() == MAX_NOTES {
            self.0.push("more notes in the activity log".into());
        }
    }

    pub fn into_vec(self) -> Vec<String> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::{MAX_NOTES, Notes};

    #[test]
    fn stops_after_the_limit_with_a_pointer_to_the_activity_log() {
        let mut notes = Notes::default();
        for i in 0..MAX_NOTES + 10 {
            notes.push(format!("note {i}"));
        }
        let notes = notes.into_vec();
        assert_eq!(notes.len(), MAX_NOTES + 1);
        assert_eq!(notes[MAX_NOTES - 1], format!("note {}", MAX_NOTES - 1));
        assert_eq!(notes[MAX_NOTES], "more notes in the activity log");
    }
}
