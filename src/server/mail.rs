//! Email: through SMTP (`SMTP_URL`, with `lettre`), or, without it, into an outbox kept in
//! memory, which sandbox mode shows at `/sandbox/outbox`. Mail is sent off the request (a
//! task of its own), so that how long an answer takes tells nothing about whether a mail went.

use crate::server::config::Settings;
use anyhow::Context;
use async_trait::async_trait;
use lettre::message::{header::ContentType, Mailbox};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::Serialize;
use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex};

#[derive(Clone, Debug, Serialize)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
}

#[async_trait]
pub trait Mailer: Send + Sync + fmt::Debug {
    async fn send(&self, mail: &Mail) -> anyhow::Result<()>;
}

/// Sends `mail` on a task of its own; a failure is logged.
pub fn send_later(mailer: &Arc<dyn Mailer>, mail: Mail) {
    let mailer = mailer.clone();
    tokio::spawn(async move {
        if let Err(e) = mailer.send(&mail).await {
            tracing::error!(error.cause_chain = ?e, subject = %mail.subject, "could not send mail");
        }
    });
}

/// Where mail goes, and the outbox when it is kept there.
pub type MailSetup = (Arc<dyn Mailer>, Option<Arc<Outbox>>);

/// What the configuration asks for: SMTP when `SMTP_URL` is set, else the outbox.
pub fn from_settings(settings: &Settings) -> anyhow::Result<MailSetup> {
    let from: Mailbox = settings
        .mail_from
        .parse()
        .with_context(|| format!("MAIL_FROM: not an address: {:?}", settings.mail_from))?;
    match &settings.smtp_url {
        Some(url) => {
            let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
                .context("SMTP_URL: expected smtp://[user:pass@]host[:port] or smtps://…")?
                .build();
            Ok((Arc::new(Smtp { transport, from }), None))
        }
        None => {
            if !settings.sandbox() {
                tracing::warn!("SMTP_URL is unset: mail is kept in memory and not sent");
            }
            let outbox = Arc::new(Outbox::default());
            Ok((outbox.clone(), Some(outbox)))
        }
    }
}

struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl fmt::Debug for Smtp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Smtp")
    }
}

#[async_trait]
impl Mailer for Smtp {
    async fn send(&self, mail: &Mail) -> anyhow::Result<()> {
        let message = Message::builder()
            .from(self.from.clone())
            .to(mail.to.parse().context("recipient")?)
            .subject(&mail.subject)
            .header(ContentType::TEXT_PLAIN)
            .body(mail.text.clone())?;
        self.transport.send(message).await?;
        tracing::info!(subject = %mail.subject, "mail sent");
        Ok(())
    }
}

/// The last mails "sent" without SMTP, newest first.
#[derive(Debug, Default)]
pub struct Outbox {
    mails: Mutex<VecDeque<Mail>>,
}

const OUTBOX_KEEPS: usize = 200;

impl Outbox {
    pub fn list(&self) -> Vec<Mail> {
        self.mails
            .lock()
            .map(|m| m.iter().cloned().collect())
            .unwrap_or_default()
    }
}

#[async_trait]
impl Mailer for Outbox {
    async fn send(&self, mail: &Mail) -> anyhow::Result<()> {
        let mut mails = self
            .mails
            .lock()
            .map_err(|_| anyhow::anyhow!("outbox poisoned"))?;
        mails.push_front(mail.clone());
        mails.truncate(OUTBOX_KEEPS);
        Ok(())
    }
}
