//! A fetched resource with at most one fetch in flight. Answers carry the
//! generation they were asked for; a stale answer (from before a refresh
//! restarted the fetch, or a context switch invalidated it) is dropped.

#[derive(Debug, Clone, PartialEq)]
pub enum Load<T> {
    NotLoaded,
    Loading,
    Loaded(T),
    Failed(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Resource<T> {
    pub load: Load<T>,
    generation: u64,
    in_flight: bool,
    refresh_queued: bool,
}

// Written out so `T` needs no `Default` of its own.
impl<T> Default for Resource<T> {
    fn default() -> Self {
        Resource {
            load: Load::NotLoaded,
            generation: 0,
            in_flight: false,
            refresh_queued: false,
        }
    }
}

impl<T> Resource<T> {
    /// Asks for a fetch: the generation to fetch with, or `None` when one is
    /// already in flight (then one more is run when it answers: coalesced,
    /// never queued twice).
    pub fn request(&mut self) -> Option<u64> {
        if self.in_flight {
            self.refresh_queued = true;
            return None;
        }
        self.generation += 1;
        self.in_flight = true;
        if !matches!(self.load, Load::Loaded(_)) {
            self.load = Load::Loading;
        }
        Some(self.generation)
    }

    /// Takes an answer. Returns the generation of a follow-up fetch when a
    /// refresh was asked for while this one was in flight.
    pub fn receive(&mut self, generation: u64, result: Result<T, String>) -> Option<u64> {
        if generation != self.generation || !self.in_flight {
            return None;
        }
        self.in_flight = false;
        self.load = match result {
            Ok(value) => Load::Loaded(value),
            Err(e) => Load::Failed(e),
        };
        if std::mem::take(&mut self.refresh_queued) {
            self.request()
        } else {
            None
        }
    }

    /// Forgets the resource; answers to fetches already out are dropped.
    pub fn invalidate(&mut self) {
        self.generation += 1;
        self.in_flight = false;
        self.refresh_queued = false;
        self.load = Load::NotLoaded;
    }

    pub fn loaded(&self) -> Option<&T> {
        match &self.load {
            Load::Loaded(value) => Some(value),
            _ => None,
        }
    }

    pub fn is_in_flight(&self) -> bool {
        self.in_flight
    }

    /// The generation of the fetch in flight (or of the last one).
    pub fn generation(&self) -> u64 {
        self.generation
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_answers_are_dropped_and_refreshes_coalesce() {
        let mut r: Resource<u32> = Resource::default();
        let first = r.request().unwrap();
        assert_eq!(r.load, Load::Loading);
        // Three refreshes while in flight make one follow-up fetch.
        assert_eq!(r.request(), None);
        assert_eq!(r.request(), None);
        let second = r.receive(first, Ok(1)).unwrap();
        assert_eq!(r.loaded(), Some(&1));
        assert_eq!(r.receive(second, Ok(2)), None);
        assert_eq!(r.loaded(), Some(&2));

        let third = r.request().unwrap();
        r.invalidate();
        assert_eq!(r.receive(third, Ok(3)), None, "answer from before invalidate");
        assert_eq!(r.load, Load::NotLoaded);
    }
}
