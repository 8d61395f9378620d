from psycopg2 import errors as pgerrors

from odoo import models
from odoo.tools import SQL, mute_logger


class AccountMove(models.Model):
    _inherit = "account.move"

    def _set_next_sequence(self):
        """Odoo's numbering, where parallel matching jobs skip the numbers
        another job holds instead of waiting for it.

        Odoo tries the number after the last one it sees and, when another
        transaction has just written that number and not committed yet,
        PostgreSQL's unique index makes it wait until that transaction
        ends (then it tries the next).  Two matching jobs creating
        exchange-difference entries in one journal at once would each wait
        for the other's commit.  Under the context key
        ``sales_closing_parallel_sequence`` (set by the jobs applying a
        matching plan, never a permission), a number is first claimed with
        a transaction-scoped advisory lock (``pg_try_advisory_xact_lock``,
        which never waits): a number another job holds is skipped, so both
        get distinct numbers at once.  A job that rolls back leaves a gap,
        as Odoo's own numbering does when a transaction is retried.
        Without the key, Odoo's own method runs unchanged."""
        if not self.env.context.get("sales_closing_parallel_sequence"):
            return super()._set_next_sequence()
        self.ensure_one()
        last_sequence = self._get_last_sequence()
        new = not last_sequence
        if new:
            last_sequence = (
                self._get_last_sequence(relaxed=True) or self._get_starting_sequence()
            )
        format_string, format_values = self._get_sequence_format_param(last_sequence)
        sequence_number_reset = self._deduce_sequence_number_reset(last_sequence)
        if new:
            date_start, date_end, forced_year_start, forced_year_end = (
                self._get_sequence_date_range(sequence_number_reset)
            )
            format_values["seq"] = 0
            format_values["year"] = self._truncate_year_to_length(
                forced_year_start or date_start.year, format_values["year_length"]
            )
            format_values["year_end"] = self._truncate_year_to_length(
                forced_year_end or date_end.year, format_values["year_end_length"]
            )
            format_values["month"] = self[self._sequence_date_field].month
        # the row must be under the unique index (posted, in its journal)
        # for the number to be claimed there: those two fields, not the whole
        # entry (its amounts are computed later for the whole batch at once)
        self.flush_recordset(["state", "journal_id"])
        field = self._sequence_field
        with self.env.cr.savepoint(flush=False) as savepoint:
            while True:
                format_values["seq"] = format_values["seq"] + 1
                sequence = format_string.format(**format_values)
                if not self._sales_closing_claim_sequence(sequence):
                    continue  # another job holds it: the next one
                try:
                    with mute_logger("odoo.sql_db"):
                        self[field] = sequence
                        self.env.add_to_compute(self._fields["sequence_prefix"], self)
                        self.flush_recordset(
                            [field, "sequence_prefix", "sequence_number"]
                        )
                        break
                except (pgerrors.ExclusionViolation, pgerrors.UniqueViolation):
                    savepoint.rollback()
        self.modified([field, "sequence_prefix", "sequence_number"])

    def _sales_closing_claim_sequence(self, sequence):
        """Claim ``sequence`` in this journal until the transaction ends;
        False when another transaction claimed it (never waits)."""
        self.env.cr.execute(
            SQL(
                "SELECT pg_try_advisory_xact_lock(hashtextextended(%s, 0))",
                f"sales_closing.sequence:{self._table}:{self.journal_id.id}:{sequence}",
            )
        )
        return self.env.cr.fetchone()[0]
