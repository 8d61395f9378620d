"""Payer names as banks print them (engine.names), without a database."""

import unittest

from odoo.addons.sales_closing_reconcile.engine import names


def sim(partner, payer):
    """Best similarity of a printed payer to a partner name's forms."""
    form = names.name_form(names.payer_names(payer)[0])
    return max(names.form_similarity(form, f) for f in names.partner_forms(partner))


HUADA = "上海华达科技有限公司"


class TestChineseNames(unittest.TestCase):
    def test_legal_forms_dropped(self):
        for payer in (
            "华达科技",
            "上海华达科技有限公司",
            "上海华达科技股份有限公司",
            "上海华达科技集团有限公司",
            "华达科技集团",
        ):
            self.assertEqual(sim(HUADA, payer), 1.0, payer)
        self.assertEqual(names.name_form("上海华达科技有限公司").core, "华达科技")
        self.assertEqual(
            names.name_form("北京某某科技集团股份有限公司").core, "某某科技"
        )

    def test_places_in_front_or_in_brackets(self):
        self.assertEqual(sim(HUADA, "华达科技（上海）有限公司"), 1.0)
        self.assertEqual(sim(HUADA, "华达科技(上海)有限公司"), 1.0)
        self.assertEqual(sim("广东省深圳市鑫源电子有限公司", "深圳鑫源电子"), 1.0)
        form = names.name_form("华达科技（上海）有限公司")
        self.assertEqual(form.places, frozenset({"shanghai"}))

    def test_another_city_is_another_company(self):
        self.assertLess(sim(HUADA, "北京华达科技有限公司"), 0.7)
        self.assertLess(sim(HUADA, "BEIJING HUADA TECHNOLOGY CO LTD"), 0.7)

    def test_cut_by_the_bank(self):
        self.assertGreaterEqual(sim(HUADA, "上海华达科技有"), 0.95)
        self.assertGreaterEqual(sim(HUADA, "上海华达科技有限公"), 0.95)

    def test_brand_alone_or_another_trade_is_not_the_company(self):
        self.assertLess(sim(HUADA, "华达"), 0.6)
        self.assertLess(sim(HUADA, "华达电子"), 0.6)

    def test_pinyin_forms(self):
        self.assertEqual(names.pinyin("华达"), ["hua", "da"])
        for payer in (
            "HUADA KEJI",
            "SHANGHAI HUADA KEJI YOUXIAN GONGSI",
            "Shanghai Huada Keji Co., Ltd.",
        ):
            self.assertGreaterEqual(sim(HUADA, payer), 0.95, payer)
        self.assertGreaterEqual(sim(HUADA, "HUA DA KE JI"), 0.95)
        # cut at 30 characters
        self.assertGreaterEqual(sim(HUADA, "SHANGHAI HUADA KEJI YOUXIAN GO"), 0.95)

    def test_english_forms(self):
        for payer in (
            "SHANGHAI HUADA TECHNOLOGY CO., LTD.",
            "HUADA TECHNOLOGY (SHANGHAI) CO LTD",
            "Huada Technologies Limited",
            "HUADA SCIENCE AND TECHNOLOGY CO LTD",
        ):
            self.assertEqual(sim(HUADA, payer), 1.0, payer)
        self.assertEqual(
            sim("深圳市鑫源电子有限公司", "SHENZHEN XINYUAN ELECTRONICS CO LTD"), 1.0
        )
        self.assertLess(sim(HUADA, "HUADA TRADING CO LTD"), 0.7)

    def test_english_trade_words(self):
        """Trade words as Chinese companies write them in English:
        制品 products, 鞋业 shoes, 新材料 new material, 进出口 "IMP. & EXP."."""
        for partner, payer in (
            ("宁波天成塑料制品有限公司", "NINGBO TIANCHENG PLASTIC PRODUCTS CO"),
            ("东莞永盛五金制品有限公司", "DONGGUAN YONGSHENG HARDWARE PRODUCTS"),
            ("温州瑞达鞋业有限公司", "WENZHOU RUIDA SHOES CO LTD"),
            ("温州瑞达鞋业有限公司", "WENZHOU RUIDA FOOTWEAR CO LTD"),
            ("无锡华光新材料科技有限公司", "WUXI HUAGUANG NEW MATERIAL TECHNOLOGY"),
            ("厦门嘉禾进出口有限公司", "XIAMEN JIAHE IMP. & EXP. CO., LTD."),
        ):
            self.assertGreaterEqual(sim(partner, payer), 0.95, payer)
        # another trade is another company
        self.assertLess(
            sim("温州瑞达鞋业有限公司", "WENZHOU RUIDA PLASTIC PRODUCTS CO LTD"), 0.7
        )

    def test_english_phrases_branches_and_joint_stock(self):
        """Two English words for one trade word, a branch, 股份 as "Joint
        Stock"."""
        for partner, payer in (
            ("青岛海纳化工有限公司", "QINGDAO HAINA CHEMICAL INDUSTRY CO LTD"),
            ("上海恒瑞商贸有限公司", "SHANGHAI HENGRUI COMMERCE AND TRADE CO LTD"),
            ("宁波天成电器有限公司", "NINGBO TIANCHENG ELECTRICAL APPLIANCE CO LTD"),
            ("上海恒瑞生物科技有限公司", "SHANGHAI HENGRUI BIOTECHNOLOGY CO LTD"),
            ("上海恒瑞生物科技有限公司", "SHANGHAI HENGRUI BIO-TECH CO LTD"),
            ("上海恒瑞工艺品有限公司", "SHANGHAI HENGRUI ARTS & CRAFTS CO LTD"),
            (
                "上海恒瑞环保科技有限公司",
                "SHANGHAI HENGRUI ENVIRONMENTAL PROTECTION TECHNOLOGY",
            ),
            ("上海恒瑞汽车零部件有限公司", "SHANGHAI HENGRUI AUTO PARTS CO LTD"),
            ("苏州金桥机械股份有限公司", "SUZHOU JINQIAO MACHINERY JOINT STOCK CO LTD"),
            (HUADA, "SHANGHAI HUADA TECHNOLOGY CO LTD SUZHOU BRANCH"),
        ):
            self.assertEqual(sim(partner, payer), 1.0, payer)
        # the branch's city is not the company's: still another city
        self.assertLess(sim(HUADA, "BEIJING HUADA TECHNOLOGY CO LTD"), 0.7)

    def test_traditional_characters(self):
        """Hong Kong and Taiwan payers, or a partner saved so, write the
        name in traditional characters."""
        self.assertEqual(sim(HUADA, "上海華達科技有限公司"), 1.0)
        self.assertEqual(
            sim("深圳市宏图电子实业有限公司", "深圳市宏圖電子實業有限公司"), 1.0
        )
        self.assertEqual(sim("香港華達貿易有限公司", "香港华达贸易有限公司"), 1.0)
        self.assertGreaterEqual(
            sim("香港華達貿易有限公司", "HONG KONG HUADA TRADING CO LIMITED"), 0.95
        )
        self.assertLess(sim(HUADA, "上海華信科技有限公司"), 0.7)  # another brand

    def test_english_abbreviations_banks_print(self):
        for partner, payer in (
            ("宁波永盛进出口贸易有限公司", "NINGBO YONGSHENG I/E TRADE CO.,LTD"),
            ("宁波永盛进出口贸易有限公司", "NINGBO YONGSHENG I&E TRDG CO LTD"),
            ("深圳市宏图电子实业有限公司", "SHENZHEN HONGTU ELEC IND CO LTD"),
            ("苏州金桥机械设备有限公司", "SUZHOU JINQIAO MACH EQUIP CO LTD"),
            ("上海恒瑞工程管理有限公司", "SHANGHAI HENGRUI ENGG MGMT CO LTD"),
            ("上海恒瑞实业集团有限公司", "SHANGHAI HENGRUI INDL GRP CO LTD"),
        ):
            self.assertEqual(sim(partner, payer), 1.0, payer)
        # an abbreviation of another trade is another company
        self.assertLess(
            sim("苏州金桥机械设备有限公司", "SUZHOU JINQIAO MED EQUIP CO LTD"), 0.9
        )


class TestLatinNames(unittest.TestCase):
    def test_case_punctuation_legal_forms(self):
        partner = "Northern Pacific Logistics Co., Ltd."
        for payer in (
            "NORTHERN PACIFIC LOGISTICS CO LTD",
            "northern pacific logistics",
            "Northern-Pacific Logistics Limited",
            "ＮＯＲＴＨＥＲＮ　ＰＡＣＩＦＩＣ　ＬＯＧＩＳＴＩＣＳ",
        ):
            self.assertEqual(sim(partner, payer), 1.0, payer)

    def test_cut_at_the_field_width(self):
        partner = "Northern Pacific Logistics Co., Ltd."
        full = "NORTHERN PACIFIC LOGISTICS CO LTD"
        for width in (18, 20, 30, 32):
            self.assertGreaterEqual(sim(partner, full[:width]), 0.95, full[:width])
        self.assertLess(sim(partner, "NORTHERN"), 0.95)  # too short to tell
        # the legal form cut after its first letter
        self.assertGreaterEqual(
            sim("上海华信电子有限公司", "SHANGHAI HUAXIN ELECTRONICS CO., L"), 0.95
        )
        self.assertEqual(
            names.name_form("NORTHERN PACIFIC LOGISTICS CO L").core,
            "northern pacific logistics",
        )

    def test_legal_forms_written_out_or_without_dots(self):
        for partner, payer in (
            ("García Hermanos S.L.", "GARCIA HERMANOS SOCIEDAD LIMITADA"),
            ("Kowalski Sp. z o.o.", "KOWALSKI"),
            ("Kowalski Sp. z o.o.", "KOWALSKI SPOLKA Z OGRANICZONA ODPOWIEDZIALNOSCIA"),
            ("Rossi & Figli S.r.l.", "ROSSI FIGLI SOCIETA A RESPONSABILITA LIMITATA"),
            ("Dupont Frères SARL", "DUPONT FRERES SOCIETE A RESPONSABILITE LIMITEE"),
            ("Van der Berg B.V.", "VAN DER BERG BESLOTEN VENNOOTSCHAP"),
            ("Svensson Handel AB", "SVENSSON HANDEL AKTIEBOLAG"),
            (
                "Schmidt Logistik GmbH",
                "SCHMIDT LOGISTIK GESELLSCHAFT MIT BESCHRAENKTER",
            ),
            (
                "Pacific Crest Supplies Pte. Ltd.",
                "PACIFIC CREST SUPPLIES PRIVATE LIMITED",
            ),
            ("苏州金桥机械股份有限公司", "SUZHOU JINQIAO MACHINERY STOCK CO LTD"),
            ("苏州金桥机械股份有限公司", "SUZHOU JINQIAO MACHINERY SHARE CO LTD"),
        ):
            self.assertEqual(sim(partner, payer), 1.0, payer)
        # "&" written out in the company's language, between two words
        for partner, payer in (
            ("Rossi & Figli S.r.l.", "ROSSI E FIGLI SRL"),
            ("Jansen & Zonen B.V.", "JANSEN EN ZONEN BV"),
            ("Lindqvist & Söner AB", "LINDQVIST OCH SONER AB"),
        ):
            self.assertEqual(sim(partner, payer), 1.0, payer)
        self.assertEqual(names.name_form("Y Trading Ltd").core, "y trading")

    def test_abbreviations(self):
        self.assertGreaterEqual(
            sim("International Business Machines Corp.", "IBM"), 0.9
        )
        self.assertGreaterEqual(sim("Acme Trading GmbH", "ACME TRDG"), 0.9)
        self.assertGreaterEqual(
            sim("Acme Intl Trading", "ACME INTERNATIONAL TRADE"), 0.95
        )
        self.assertLess(sim("Acme Trading GmbH", "Acme Logistics"), 0.6)


class TestSepaCharacters(unittest.TestCase):
    def test_title_before_a_persons_name(self):
        for payer in ("MRS ANNA SCHMIDT", "FRAU ANNA SCHMIDT", "SCHMIDT, ANNA"):
            self.assertEqual(sim("Anna Schmidt", payer), 1.0, payer)
        self.assertEqual(sim("Dr. Oetker GmbH", "DR OETKER"), 1.0)
        # "MS" is no title: a company's initials as often
        self.assertEqual(names.name_form("MS Trading GmbH").core, "ms trading")

    def test_umlauts_and_accents_as_sepa_prints_them(self):
        for partner, printed in (
            ("Müller & Söhne Maschinenbau GmbH", "MUELLER + SOEHNE MASCHINENBAU GMBH"),
            ("Müller & Söhne Maschinenbau GmbH", "MUELLER AND SOEHNE MASCHINENBAU"),
            ("Nordström Logistik AB", "NORDSTROEM LOGISTIK AB"),
            ("Nordström Logistik AB", "NORDSTROM LOGISTIK AB"),
            ("Société Générale d'Électronique SARL", "SOCIETE GENERALE D ELECTRONIQUE"),
        ):
            self.assertGreaterEqual(sim(partner, printed), 0.95, printed)
        self.assertLess(sim("Müller Maschinenbau GmbH", "MOLLER MASCHINENBAU"), 0.9)

    def test_letters_the_banks_character_set_lacks(self):
        # printed as a blank (full-width too) or a "?"
        for printed in (
            "Ｚ\u3000ｒｉｃｈ\u3000Ｓｏｃｉ\u3000ｔ\u3000\u3000Ｆｏｏｄｓ",
            "Z?RICH SOCI?T? FOODS B.V.",
        ):
            self.assertEqual(sim("Zürich Société Foods B.V.", printed), 1.0, printed)
        self.assertLess(sim("Zürich Société Foods B.V.", "Z RICH FOODS"), 0.9)
        index = names.NameIndex()
        index.add(1, "Summit Crème Logistics Inc.")
        index.add(2, "Summit Logistics Inc.")
        best, _hits = index.lookup("SUMMIT CR ME LOGISTICS", 12)
        self.assertEqual(max(best, key=best.get), 1)
        self.assertEqual(best[1], 1.0)

    def test_chinese_names_untouched(self):
        self.assertEqual(sim(HUADA, "上海华达科技有限公司"), 1.0)


class TestAgents(unittest.TestCase):
    def test_principal_named_after_the_marker(self):
        cases = {
            "张三代付上海华达科技有限公司": "上海华达科技有限公司",
            "上海某某贸易有限公司代华达科技付款": "华达科技",
            "JOHN DOE OBO ACME TRADING LTD": "ACME TRADING LTD",
            "PAY AGENT LTD ON BEHALF OF NORDIC FOODS": "NORDIC FOODS",
            "AGENT O/B/O NORDIC FOODS": "NORDIC FOODS",
        }
        for printed, principal in cases.items():
            self.assertEqual(names.payer_names(printed), [principal], printed)

    def test_principal_in_the_label(self):
        found = names.payer_names(
            "PAYPRO AGENCY", "ON BEHALF OF NORDIC FOODS INV 2026/1"
        )
        self.assertEqual(found, ["PAYPRO AGENCY", "NORDIC FOODS"])
        self.assertEqual(names.payer_names("ACME", "Payment INV 2026/1"), ["ACME"])
        # the agent printed as payer, '代B付款' in the memo
        self.assertEqual(
            names.payer_names("张伟", "代华达科技付款"), ["张伟", "华达科技"]
        )
        self.assertEqual(
            names.payer_names("张伟", "代PIERRE DUBOIS付款"), ["张伟", "PIERRE DUBOIS"]
        )
        # 代发工资 (payroll paid by the bank) names no principal
        self.assertEqual(names.payer_names("BANK", "代发工资"), ["BANK"])

    def test_a_platform_pays_for_its_client(self):
        for label, principal in (
            ("PAYMENT FOR NORDIC SOFTWARE CO LTD", "NORDIC SOFTWARE CO LTD"),
            ("PAYMENT FOR 金桥机械股份有限公司", "金桥机械股份有限公司"),
            ("Paid for Metro Global Electronics Inc. INV 2026/7", "Metro Global"),
        ):
            found = names.payer_names("PAYONEER INC", label)
            self.assertEqual(found[0], "PAYONEER INC", label)
            self.assertTrue(found[1].startswith(principal), label)
        # what is paid for is no name
        for label in (
            "payment for INV/2026/00042",
            "Payment for invoice 42",
            "payment for 42",
            "Payment for the goods",
        ):
            self.assertEqual(names.payer_names("ACME", label), ["ACME"], label)


class TestNameIndex(unittest.TestCase):
    def test_lookup_by_any_name_of_a_partner(self):
        index = names.NameIndex()
        index.add(1, HUADA)
        index.add(1, "Huada Tech Holdings Ltd")  # a bank account's holder
        index.add(2, "北京华达科技有限公司")
        best, _hits = index.lookup("HUADA TECH HOLDINGS", 12)
        self.assertEqual(max(best, key=best.get), 1)
        best, _hits = index.lookup("SHANGHAI HUADA TECHNOLOGY CO LTD", 12)
        self.assertEqual(best[1], 1.0)
        self.assertLess(best.get(2, 0.0), 0.7)
        self.assertTrue(index.same_name("上海华达科技有限公司", 1))
        self.assertFalse(index.same_name("华达科技", 1))

    def test_namesakes_in_many_cities(self):
        """A brand borne in more cities than the partners a lookup looks
        at: the one of the payer's city is among them."""
        cities = ("北京", "深圳", "苏州", "成都", "广州", "南京", "天津", "重庆")
        forms = ("有限公司", "股份有限公司")
        index = names.NameIndex()
        pid = 0
        for city in cities:
            for form in forms:
                pid += 1
                index.add(pid, f"{city}鑫源物流{form}")
        index.add(99, "杭州鑫源物流有限公司")
        self.assertGreater(pid, 12)
        for payer in ("杭州鑫源物流有限公司", "HANGZHOU XINYUAN LOGISTICS CO LTD"):
            best, _hits = index.lookup(payer, 12)
            self.assertEqual(max(best, key=best.get), 99, payer)
            self.assertEqual(best[99], 1.0, payer)
