from odoo import models


class MailMail(models.Model):
    _inherit = "mail.mail"

    def _postprocess_sent_message(
        self, success_pids, failure_reason=False, failure_type=None
    ):
        """Put the payment reminders whose email bounced at once in error.

        The reminder stays recorded as sent on the invoice (the letter and the
        chatter message exist); the error shows in the run for a resend.
        """
        if failure_type:
            messages = self.mail_message_id
            # sudo: the mail queue runs as any user; reminders are accounting data
            lines = (
                self.env["sales.closing.dunning.line"]
                .sudo()
                .search(
                    [("mail_message_id", "in", messages.ids), ("state", "=", "sent")]
                )
            )
            if lines:
                lines.write(
                    {
                        "state": "error",
                        "error": self.env._(
                            "The email could not be delivered: %(reason)s",
                            reason=failure_reason or failure_type,
                        ),
                    }
                )
                lines.run_id._update_state()
        return super()._postprocess_sent_message(
            success_pids, failure_reason=failure_reason, failure_type=failure_type
        )
