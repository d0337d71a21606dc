//! The e-mail channel: one plain-text mail per notice through the
//! operator's SMTP server, with lettre.

use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Message, SmtpTransport, Transport};
use trestle_host::incidents::Notice;
use trestle_host::tenant::alerts::EmailChannel;

use super::Channel;

pub struct Email {
    from: Mailbox,
    to: Vec<Mailbox>,
    transport: SmtpTransport,
    server: String,
}

impl Email {
    pub fn new(config: &EmailChannel) -> anyhow::Result<Self> {
        let mailbox = |key: &str, text: &str| {
            text.parse::<Mailbox>()
                .map_err(|e| anyhow::anyhow!("`alerts.email.{key}` is not an e-mail address ({text:?}): {e}"))
        };
        let from = mailbox("from", &config.from)?;
        let to = config.to.iter().map(|t| mailbox("to", t)).collect::<anyhow::Result<_>>()?;
        let mut builder = SmtpTransport::from_url(&config.smtp)
            .map_err(|e| anyhow::anyhow!("`alerts.email.smtp` is not an SMTP address ({:?}): {e}", config.smtp))?;
        if let (Some(user), Some(password)) = (&config.username, &config.password) {
            builder = builder.credentials(Credentials::new(
                user.resolve("alerts.email.username")?,
                password.resolve("alerts.email.password")?,
            ));
        }
        // The address without credentials, for messages.
        let server = config.smtp.rsplit('@').next().unwrap_or(&config.smtp).to_string();
        Ok(Self { from, to, transport: builder.build(), server })
    }
}

impl Channel for Email {
    fn name(&self) -> &'static str {
        "email"
    }

    fn send(&self, tenant: &str, notice: &Notice) -> Result<(), String> {
        let mut message = Message::builder().from(self.from.clone()).subject(super::headline(tenant, notice));
        for to in &self.to {
            message = message.to(to.clone());
        }
        let mail = message.body(super::body(notice)).map_err(|e| format!("cannot write the mail: {e}"))?;
        self.transport
            .send(&mail)
            .map(|_| ())
            .map_err(|e| format!("the SMTP server {} refused the mail: {e}", self.server))
    }
}
