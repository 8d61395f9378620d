"""Unit tests of the WeChat Pay platform certificate download (pure engine, no DB).

Keys and certificates are generated here with ``cryptography`` (throwaway).
"""

import json
import unittest
from datetime import datetime, timedelta, timezone

from odoo.addons.sales_closing_payments.engine import wechatpay
from odoo.addons.sales_closing_payments.engine.common import rsa_sha256_verify

from ..engine import simulator

API_V3_KEY = "0123456789abcdefghijklmnopqrstuv"
OLD_SERIAL = "3775B6A45ACD588826D15E583A95F5DD2C9D7EB1"
NEW_SERIAL = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
NEXT_SERIAL = "7AC3F1E2D4B5A69788796A5B4C3D2E1F00112233"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)


class CertificateTestCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.old_private, _public = simulator.new_key_pair()
        cls.new_private, cls.new_public = simulator.new_key_pair()
        cls.next_private, _public = simulator.new_key_pair()
        cls.forger_private, _public = simulator.new_key_pair()
        # old: expires in 5 days; new: in force since yesterday; next: not yet
        cls.old_pem = simulator.new_certificate(
            cls.old_private, OLD_SERIAL, NOW - timedelta(days=1820), NOW + timedelta(5)
        )
        cls.new_pem = simulator.new_certificate(
            cls.new_private, NEW_SERIAL, NOW - timedelta(1), NOW + timedelta(1825)
        )
        cls.next_pem = simulator.new_certificate(
            cls.next_private, NEXT_SERIAL, NOW + timedelta(3), NOW + timedelta(1830)
        )

    def entries(self, *names):
        return [
            {"serial_no": serial, "pem": getattr(self, f"{name}_pem")}
            for name, serial in (
                ("old", OLD_SERIAL),
                ("new", NEW_SERIAL),
                ("next", NEXT_SERIAL),
            )
            if name in (names or ("old", "new", "next"))
        ]

    def answer(self, private=None, serial=OLD_SERIAL, entries=None, when=NOW):
        return simulator.wechatpay_certificates_response(
            private or self.old_private,
            serial,
            API_V3_KEY,
            self.entries() if entries is None else entries,
            timestamp=when.timestamp(),
        )

    def assert_refused(self, reason, headers, body, key=API_V3_KEY, now=NOW, **trust):
        """``trust``: ``trusted`` / ``expected_serial`` (default: the first
        download of the old certificate's serial)."""
        trust = trust or {"expected_serial": OLD_SERIAL}
        with self.assertRaises(wechatpay.WeChatPayCertificateError) as caught:
            wechatpay.open_certificates_response(headers, body, key, now=now, **trust)
        self.assertEqual(caught.exception.reason, reason, str(caught.exception))
        return caught.exception


class TestCertificateHelpers(CertificateTestCase):
    def test_request_is_a_signed_get(self):
        method, path, body = wechatpay.certificates_request()
        self.assertEqual((method, path, body), ("GET", "/v3/certificates", ""))
        merchant_private, merchant_public = simulator.new_key_pair()
        header = wechatpay.authorization_header(
            "1230000109", "MERCHANT01", merchant_private, method, path, body, 1700, "N1"
        )
        signature = header.split('signature="')[1].split('"')[0]
        self.assertTrue(
            rsa_sha256_verify(
                "GET\n/v3/certificates\n1700\nN1\n\n", signature, merchant_public
            )
        )

    def test_parse_time(self):
        self.assertEqual(
            wechatpay.parse_time("2026-06-08T10:34:56+08:00"),
            datetime(2026, 6, 8, 2, 34, 56, tzinfo=timezone.utc),
        )
        self.assertEqual(
            wechatpay.parse_time("2026-06-08T02:34:56Z"),
            datetime(2026, 6, 8, 2, 34, 56, tzinfo=timezone.utc),
        )
        for bad in ("2026-06-08T10:34:56", "", None, "yesterday"):
            with self.assertRaises(ValueError):
                wechatpay.parse_time(bad)

    def test_certificate_info(self):
        serial, not_before, not_after = wechatpay.certificate_info(self.new_pem)
        self.assertEqual(serial, NEW_SERIAL)
        self.assertEqual(not_before, NOW - timedelta(1))
        self.assertEqual(not_after, NOW + timedelta(1825))
        self.assertIsNone(wechatpay.certificate_info(self.new_public))
        broken = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
        with self.assertRaises(wechatpay.WeChatPayError):
            wechatpay.certificate_info(broken)

    def test_decrypt_certificates(self):
        _headers, body = self.answer()
        certificates = wechatpay.decrypt_certificates(body, API_V3_KEY)
        self.assertEqual(
            [c.serial_no for c in certificates], [OLD_SERIAL, NEW_SERIAL, NEXT_SERIAL]
        )
        self.assertEqual(certificates[1].pem, self.new_pem)
        self.assertEqual(certificates[1].effective_time, NOW - timedelta(1))
        self.assertEqual(certificates[1].expire_time, NOW + timedelta(1825))
        # the announced times are read as sent, whatever their offset
        payload = json.loads(body)
        payload["data"][0]["expire_time"] = "2026-06-06T20:00:00+08:00"
        first = wechatpay.decrypt_certificates(json.dumps(payload), API_V3_KEY)[0]
        self.assertEqual(
            first.expire_time, datetime(2026, 6, 6, 12, tzinfo=timezone.utc)
        )

    def assert_decrypt_refused(self, reason, body, key=API_V3_KEY):
        with self.assertRaises(wechatpay.WeChatPayCertificateError) as caught:
            wechatpay.decrypt_certificates(body, key)
        self.assertEqual(caught.exception.reason, reason, str(caught.exception))
        return caught.exception

    def test_decrypt_refusals(self):
        _headers, body = self.answer()
        error = self.assert_decrypt_refused(wechatpay.CERT_DECRYPTION, body, "x" * 32)
        self.assertIn(OLD_SERIAL, str(error))
        cases = {
            "not json": "{",
            "no data": json.dumps({"data": []}),
            "not a list": json.dumps({"data": {"serial_no": NEW_SERIAL}}),
            "not an object": json.dumps([1]),
        }
        for label, text in cases.items():
            with self.subTest(label):
                self.assert_decrypt_refused(wechatpay.CERT_MALFORMED, text)
        payload = json.loads(body)
        payload["data"][1]["encrypt_certificate"]["algorithm"] = "AES_128_CBC"
        self.assert_decrypt_refused(wechatpay.CERT_DECRYPTION, json.dumps(payload))
        payload = json.loads(body)
        payload["data"][1]["effective_time"] = "soon"
        self.assert_decrypt_refused(wechatpay.CERT_MALFORMED, json.dumps(payload))
        payload = json.loads(body)
        del payload["data"][2]["serial_no"]
        self.assert_decrypt_refused(wechatpay.CERT_MALFORMED, json.dumps(payload))

    def test_serial_must_match_the_certificate(self):
        entries = [{"serial_no": OLD_SERIAL, "pem": self.new_pem}]
        _headers, body = self.answer(entries=entries)
        error = self.assert_decrypt_refused(wechatpay.CERT_MALFORMED, body)
        self.assertIn(NEW_SERIAL, str(error))

    def test_encrypted_public_key_is_not_a_certificate(self):
        _headers, body = self.answer(entries=self.entries("new"))
        payload = json.loads(body)
        payload["data"][0]["encrypt_certificate"] = wechatpay.encrypt_resource(
            self.new_public, API_V3_KEY, "abcdef012345", "certificate"
        )
        self.assert_decrypt_refused(wechatpay.CERT_MALFORMED, json.dumps(payload))


class TestChooseCertificate(CertificateTestCase):
    def setUp(self):
        super().setUp()
        _headers, body = self.answer()
        self.certificates = wechatpay.decrypt_certificates(body, API_V3_KEY)

    def test_newest_in_force(self):
        chosen = wechatpay.choose_certificate(self.certificates, NOW)
        self.assertEqual(chosen.serial_no, NEW_SERIAL)
        # in any order
        chosen = wechatpay.choose_certificate(self.certificates[::-1], NOW)
        self.assertEqual(chosen.serial_no, NEW_SERIAL)
        # once the next one is in force, it wins
        later = NOW + timedelta(days=4)
        chosen = wechatpay.choose_certificate(self.certificates, later)
        self.assertEqual(chosen.serial_no, NEXT_SERIAL)
        # before the new one, only the old one is in force
        earlier = NOW - timedelta(days=2)
        chosen = wechatpay.choose_certificate(self.certificates, earlier)
        self.assertEqual(chosen.serial_no, OLD_SERIAL)
        # naive datetimes are UTC
        naive = (NOW + timedelta(days=4)).replace(tzinfo=None)
        chosen = wechatpay.choose_certificate(self.certificates, naive)
        self.assertEqual(chosen.serial_no, NEXT_SERIAL)

    def test_none_in_force(self):
        with self.assertRaises(wechatpay.WeChatPayCertificateError) as caught:
            wechatpay.choose_certificate(self.certificates, NOW + timedelta(3650))
        self.assertEqual(caught.exception.reason, wechatpay.CERT_NONE_VALID)
        with self.assertRaises(wechatpay.WeChatPayCertificateError):
            wechatpay.choose_certificate([], NOW)


class TestOpenCertificatesResponse(CertificateTestCase):
    def test_signed_by_a_downloaded_certificate(self):
        """First download: the answer verifies with the downloaded certificate
        whose serial the administrator configured."""
        headers, body = self.answer()
        chosen, certificates = wechatpay.open_certificates_response(
            headers, body, API_V3_KEY, now=NOW, expected_serial=OLD_SERIAL
        )
        self.assertEqual(chosen.serial_no, NEW_SERIAL)
        self.assertEqual(chosen.pem, self.new_pem)
        self.assertEqual(len(certificates), 3)
        # signed by the new certificate, answered as bytes, header names lower-case
        headers, body = self.answer(private=self.new_private, serial=NEW_SERIAL)
        headers = {key.lower(): value for key, value in headers.items()}
        chosen, _all = wechatpay.open_certificates_response(
            headers, body.encode(), API_V3_KEY, now=NOW, expected_serial=NEW_SERIAL
        )
        self.assertEqual(chosen.serial_no, NEW_SERIAL)

    def test_first_download_needs_the_configured_serial(self):
        headers, body = self.answer()
        # nothing configured: the answer could come from anyone holding a key
        error = self.assert_refused(
            wechatpay.CERT_UNTRUSTED, headers, body, expected_serial=None
        )
        self.assertIn("cannot be trusted", str(error))
        # a serial other than the one configured
        self.assert_refused(
            wechatpay.CERT_BAD_SIGNATURE, headers, body, expected_serial=NEW_SERIAL
        )

    def test_refresh_is_verified_with_the_trusted_certificate(self):
        headers, body = self.answer()
        chosen, _all = wechatpay.open_certificates_response(
            headers, body, API_V3_KEY, now=NOW, trusted={OLD_SERIAL: self.old_pem}
        )
        self.assertEqual(chosen.serial_no, NEW_SERIAL)
        # serials compare as numbers: case and leading zeros do not matter
        chosen, _all = wechatpay.open_certificates_response(
            headers,
            body,
            API_V3_KEY,
            now=NOW,
            trusted={"00" + OLD_SERIAL.lower(): self.old_pem},
        )
        self.assertEqual(chosen.serial_no, NEW_SERIAL)

    def test_refresh_signed_by_a_downloaded_certificate_is_refused(self):
        """Once a certificate is trusted, a download vouching for itself is
        refused, even if the configured serial names the signer."""
        headers, body = self.answer(private=self.new_private, serial=NEW_SERIAL)
        error = self.assert_refused(
            wechatpay.CERT_BAD_SIGNATURE,
            headers,
            body,
            trusted={OLD_SERIAL: self.old_pem},
            expected_serial=NEW_SERIAL,
        )
        self.assertIn("trusted", str(error))
        # a forger's certificate in the answer, signing under its own serial
        forged = simulator.new_certificate(self.forger_private, NEXT_SERIAL)
        headers, body = self.answer(
            private=self.forger_private,
            serial=NEXT_SERIAL,
            entries=[{"serial_no": NEXT_SERIAL, "pem": forged}],
        )
        self.assert_refused(
            wechatpay.CERT_BAD_SIGNATURE,
            headers,
            body,
            trusted={OLD_SERIAL: self.old_pem},
        )

    def test_wechatpay_public_key_vouches(self):
        headers, body = self.answer(
            private=self.new_private, serial="PUB_KEY_ID_0114232025010100000000000001"
        )
        chosen, _all = wechatpay.open_certificates_response(
            headers,
            body,
            API_V3_KEY,
            now=NOW,
            trusted={"PUB_KEY_ID_0114232025010100000000000001": self.new_public},
        )
        self.assertEqual(chosen.serial_no, NEW_SERIAL)

    def test_expired_certificate_vouches_for_nothing(self):
        later = NOW + timedelta(days=6)  # the old certificate expired yesterday
        headers, body = self.answer(when=later)
        self.assertEqual(wechatpay.trusted_keys({OLD_SERIAL: self.old_pem}, later), {})
        self.assert_refused(
            wechatpay.CERT_UNTRUSTED,
            headers,
            body,
            now=later,
            trusted={OLD_SERIAL: self.old_pem},
        )
        # nor does it sign a first download
        self.assert_refused(wechatpay.CERT_BAD_SIGNATURE, headers, body, now=later)

    def test_expired_certificate_is_never_chosen(self):
        """The certificate's own X.509 end counts, whatever the answer says."""
        entries = self.entries("old")
        entries[0]["expire_time"] = "2099-01-01T00:00:00+00:00"
        headers, body = self.answer(entries=entries)
        certificates = wechatpay.decrypt_certificates(body, API_V3_KEY)
        later = NOW + timedelta(days=6)
        with self.assertRaises(wechatpay.WeChatPayCertificateError) as caught:
            wechatpay.choose_certificate(certificates, later)
        self.assertEqual(caught.exception.reason, wechatpay.CERT_NONE_VALID)
        self.assertEqual(
            wechatpay.choose_certificate(certificates, NOW).serial_no, OLD_SERIAL
        )

    def test_resource_nonce_of_a_wrong_length(self):
        """A nonce AES-GCM refuses is a malformed resource, not a crash."""
        resource = wechatpay.encrypt_resource({"a": 1}, API_V3_KEY, "0123456789ab")
        for nonce in ("", "abc", "x" * 11, "x" * 13, "x" * 200, 12345):
            with self.assertRaises(wechatpay.WeChatPayError):
                wechatpay.decrypt_resource(dict(resource, nonce=nonce), API_V3_KEY)
        for ciphertext in (None, 42, ["a"], "not base64 !"):
            with self.assertRaises(wechatpay.WeChatPayError):
                wechatpay.decrypt_resource(
                    dict(resource, ciphertext=ciphertext), API_V3_KEY
                )

    def test_signed_with_another_key(self):
        headers, body = self.answer(private=self.forger_private)
        error = self.assert_refused(wechatpay.CERT_BAD_SIGNATURE, headers, body)
        self.assertIn(OLD_SERIAL, str(error))

    def test_signed_by_a_certificate_not_downloaded(self):
        # a valid signature by a key we do not get the certificate of
        headers, body = self.answer(entries=self.entries("new", "next"))
        self.assert_refused(wechatpay.CERT_BAD_SIGNATURE, headers, body)
        headers, body = self.answer(serial="")
        self.assert_refused(wechatpay.CERT_BAD_SIGNATURE, headers, body)

    def test_signed_by_a_certificate_not_in_force(self):
        headers, body = self.answer(private=self.next_private, serial=NEXT_SERIAL)
        error = self.assert_refused(
            wechatpay.CERT_BAD_SIGNATURE, headers, body, expected_serial=NEXT_SERIAL
        )
        self.assertIn("not in force", str(error))

    def test_tampered_body(self):
        headers, body = self.answer()
        # push the old certificate's expiry: still decrypts, no longer verifies
        tampered = body.replace(
            json.loads(body)["data"][0]["expire_time"], "2099-01-01T00:00:00+00:00"
        )
        self.assertNotEqual(tampered, body)
        self.assert_refused(wechatpay.CERT_BAD_SIGNATURE, headers, tampered)

    def test_wrong_api_v3_key(self):
        headers, body = self.answer()
        self.assert_refused(
            wechatpay.CERT_DECRYPTION,
            headers,
            body,
            key="abcdefghijklmnopqrstuv0123456789",
        )
        self.assert_refused(wechatpay.CERT_DECRYPTION, headers, body, key="short")

    def test_stale_answer(self):
        headers, body = self.answer(when=NOW - timedelta(hours=1))
        self.assert_refused(wechatpay.CERT_STALE, headers, body)

    def test_decrypt_resource_still_reads_json(self):
        resource = wechatpay.encrypt_resource({"a": 1}, API_V3_KEY, "0123456789ab")
        self.assertEqual(wechatpay.decrypt_resource(resource, API_V3_KEY), {"a": 1})
        self.assertEqual(
            wechatpay.decrypt_resource_bytes(resource, API_V3_KEY), b'{"a":1}'
        )
        with self.assertRaises(wechatpay.WeChatPayError):
            wechatpay.decrypt_resource_bytes(None, API_V3_KEY)
