from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestUi(HttpCase):
    def test_closing_menu_and_settings_tour(self):
        """Log in, open the Closing menu, then its Settings section."""
        self.start_tour("/odoo", "sales_closing_tour", login="admin")
