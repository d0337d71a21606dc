//! The dashboard's pages fetched as a browser without JavaScript would:
//! forms posted, the session cookie kept and sent back, redirects seen
//! rather than followed; every body kept, to check what none may hold.

use std::cell::RefCell;

use reqwest::blocking::{Client, Response};
use reqwest::redirect::Policy;

pub struct Pages {
    pub base: String,
    client: Client,
    /// `trestle_session=...`, once logged in.
    pub cookie: RefCell<Option<String>>,
    /// Every body answered so far.
    pub seen: RefCell<String>,
}

/// One answer: its status, where it redirects to, its body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

impl Pages {
    pub fn new(base: &str) -> Self {
        let client = Client::builder().redirect(Policy::none()).build().unwrap();
        Self { base: base.to_string(), client, cookie: RefCell::new(None), seen: Default::default() }
    }

    fn answer(&self, response: Response) -> Answer {
        let status = response.status().as_u16();
        let header = |name: &str| response.headers().get(name).map(|v| v.to_str().unwrap().to_string());
        let location = header("location");
        if let Some(set) = header("set-cookie") {
            let pair = set.split(';').next().unwrap().to_string();
            *self.cookie.borrow_mut() = (!pair.ends_with('=')).then_some(pair);
        }
        let body = response.text().unwrap();
        self.seen.borrow_mut().push_str(&body);
        Answer { status, location, body }
    }

    fn with_cookie(&self, request: reqwest::blocking::RequestBuilder) -> reqwest::blocking::RequestBuilder {
        match &*self.cookie.borrow() {
            Some(cookie) => request.header("cookie", cookie),
            None => request,
        }
    }

    /// `GET path`; `None` while nothing listens there.
    pub fn try_get(&self, path: &str) -> Option<Answer> {
        let response = self.with_cookie(self.client.get(format!("{}{path}", self.base))).send().ok()?;
        Some(self.answer(response))
    }

    pub fn get(&self, path: &str) -> Answer {
        self.try_get(path).unwrap_or_else(|| panic!("GET {path}: nothing answers"))
    }

    /// `POST path` with `fields` as a form, and `headers`.
    pub fn post(&self, path: &str, fields: &[(&str, &str)], headers: &[(&str, &str)]) -> Answer {
        let mut request = self.with_cookie(self.client.post(format!("{}{path}", self.base))).form(fields);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.answer(request.send().unwrap())
    }

    /// Logs in with `token`: the answer to the login form.
    pub fn login(&self, token: &str) -> Answer {
        self.post("/dashboard/login", &[("token", token)], &[])
    }
}

/// The CSRF value a page's forms carry.
pub fn csrf(body: &str) -> String {
    let at = body.find("name=\"csrf\" value=\"").expect("the page has a form with its CSRF value") + 19;
    body[at..].split('"').next().unwrap().to_string()
}
