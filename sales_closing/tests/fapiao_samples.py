"""Files of China's e-fapiao built for the tests, in their published shape.

No official file is shipped: the batch-issue template, the issued invoice
XML, the OFD and the platform's 信息汇总表 export are all built here.
"""

import io
import zipfile
from xml.sax.saxutils import escape

from openpyxl import Workbook

# 1-发票基本信息, row 3, as published in V251101 and V260401 (39 columns;
# 购买方所在地区 spans four columns, hence the three empty headers)
INVOICE_HEADERS = [
    "发票流水号", "发票类型", "特定业务类型", "是否含税", "受票方自然人标识",
    "购买方名称", "购买方纳税人识别号", "购买方证件类型", "购买方证件号码",
    "购买方国籍（或地区）", "购买方地址", "购买方所在地区（报废产品收购必填）",
    None, None, None, "购买方详细地址（报废产品收购必填）", "购买方电话",
    "购买方开户银行", "购买方银行账号", "是否展示购买方地址电话银行账号",
    "是否开具涉税专业服务发票品目", "涉税专业服务协议编号", "备注",
    "报废产品销售类型", "每千克煤炭\n发热量", "干基全硫", "干燥无灰基挥发分",
    "销售方开户行", "销售方银行账号", "是否展示销售方地址电话银行账号",
    "购买方邮箱", "购买方经办人姓名", "购买方经办人证件类型",
    "购买方经办人证件号码", "经办人国籍(地区)", "经办人自然人纳税人识别号",
    "放弃享受减按1%征收率\n原因", "收款人", "复核人",
]  # fmt: skip
LINE_HEADERS = [
    "发票流水号", "项目名称", "商品和服务税收编码", "规格型号", "单位", "数量",
    "单价", "金额", "税率", "折扣金额", "是否使用优惠政策", "优惠政策类型",
    "即征即退类型", "煤炭种类",
]  # fmt: skip


def make_template(version="20260401", invoice_headers=None, line_headers=None):
    """A batch-issue template: hidden ``excelVersion`` (``pt:`` in A4), data
    sheets with notes (row 1), hints (row 2), headers (row 3)."""
    workbook = Workbook()
    sheets = (
        ("1-发票基本信息", invoice_headers or INVOICE_HEADERS),
        ("2-发票明细信息", line_headers or LINE_HEADERS),
        ("3-特定业务信息", ["发票流水号", "建筑服务发生地", "起运地"]),
        ("4-附加要素信息", ["发票流水号", "附加要素名称", "附加要素内容"]),
    )
    workbook.remove(workbook.active)
    for title, headers in sheets:
        sheet = workbook.create_sheet(title)
        sheet.cell(1, 1, "填表说明：全部数据使用文本输入")
        for column, header in enumerate(headers, start=1):
            if header:
                sheet.cell(2, column, "必填")
                sheet.cell(3, column, header)
    version_sheet = workbook.create_sheet("excelVersion")
    version_sheet["A4"] = f"pt:{version}"
    version_sheet.sheet_state = "hidden"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def issued_xml(
    number,
    issue_time,
    buyer_vat,
    untaxed,
    tax,
    total,
    remark="",
    lines=(),
    seller_vat="91310000MA1FL8XQ2X",
    buyer_name="Buyer",
):
    """An issued invoice XML (root EInvoice, no namespace); ``lines`` as
    ``(name, quantity, price, amount, rate_text, tax)``."""
    items = "".join(
        "<IssuItemInformation>"
        f"<ItemName>{escape(name)}</ItemName><SpecMod></SpecMod>"
        f"<MeaUnits>件</MeaUnits><Quantity>{quantity}</Quantity>"
        f"<UnPrice>{price}</UnPrice><Amount>{amount}</Amount>"
        f"<TaxRate>{rate}</TaxRate><ComTaxAm>{line_tax}</ComTaxAm>"
        "<TaxClassificationCode>1090511030000000000</TaxClassificationCode>"
        "</IssuItemInformation>"
        for name, quantity, price, amount, rate, line_tax in lines
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        "<EInvoice><Header><EIid>"
        f"{number}</EIid><EInvoiceTag>SWEI3100</EInvoiceTag><Version>0.32</Version>"
        "</Header><EInvoiceData>"
        "<SellerInformation>"
        f"<SellerIdNum>{seller_vat}</SellerIdNum><SellerName>Seller</SellerName>"
        "</SellerInformation><BuyerInformation>"
        f"<BuyerIdNum>{buyer_vat}</BuyerIdNum>"
        f"<BuyerName>{escape(buyer_name)}</BuyerName>"
        "</BuyerInformation><BasicInformation>"
        f"<TotalAmWithoutTax>{untaxed}</TotalAmWithoutTax>"
        f"<TotalTaxAm>{tax}</TotalTaxAm>"
        f"<TotalTax-includedAmount>{total}</TotalTax-includedAmount>"
        f"<RequestTime>{issue_time}</RequestTime><Drawer>张三</Drawer>"
        f"</BasicInformation>{items}"
        f"<AdditionalInformation><Remark>{escape(remark)}</Remark>"
        "</AdditionalInformation></EInvoiceData>"
        "<TaxSupervisionInfo>"
        f"<InvoiceNumber>{number}</InvoiceNumber><IssueTime>{issue_time}</IssueTime>"
        "<TaxBureauCode>13100000000</TaxBureauCode></TaxSupervisionInfo>"
        "</EInvoice>"
    ).encode()


OFD_NS = "http://www.ofdspec.org/2016"


def issued_ofd(
    number,
    issue_date,
    buyer_vat,
    untaxed,
    tax,
    total,
    remark="",
    seller_vat="91310000MA1FL8XQ2X",
):
    """An OFD e-fapiao: its fields in the custom tags (Tags/CustomTag.xml),
    each pointing at the page text showing the value."""
    fields = [
        ("InvoiceNo", number),
        ("IssueDate", issue_date),
        ("BuyerName", "Buyer"),
        ("BuyerTaxID", buyer_vat),
        ("SellerName", "Seller"),
        ("SellerTaxID", seller_vat),
        ("TaxExclusiveTotalAmount", untaxed),
        ("TaxTotalAmount", tax),
        ("TaxInclusiveTotalAmount", total),
        ("Note", remark),
    ]
    texts = "".join(
        f'<ofd:TextObject ID="{100 + index}" Boundary="10 {10 + index * 5} 100 5" '
        f'Font="1" Size="3"><ofd:TextCode X="0" Y="3">{escape(str(value))}'
        "</ofd:TextCode></ofd:TextObject>"
        for index, (_name, value) in enumerate(fields)
    )
    tags = "".join(
        f'<{name}><ofd:ObjectRef PageRef="1">{100 + index}</ofd:ObjectRef></{name}>'
        for index, (name, _value) in enumerate(fields)
    )
    files = {
        "OFD.xml": (
            f'<ofd:OFD xmlns:ofd="{OFD_NS}" Version="1.1" DocType="OFD">'
            "<ofd:DocBody><ofd:DocInfo><ofd:DocID>test</ofd:DocID>"
            "<ofd:CustomDatas>"
            f'<ofd:CustomData Name="发票号码">{number}</ofd:CustomData>'
            "</ofd:CustomDatas></ofd:DocInfo>"
            "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"
        ),
        "Doc_0/Document.xml": (
            f'<ofd:Document xmlns:ofd="{OFD_NS}"><ofd:CommonData>'
            "<ofd:MaxUnitID>200</ofd:MaxUnitID><ofd:PageArea>"
            "<ofd:PhysicalBox>0 0 210 140</ofd:PhysicalBox></ofd:PageArea>"
            "</ofd:CommonData><ofd:Pages>"
            '<ofd:Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages>'
            "<ofd:CustomTags>Tags/CustomTags.xml</ofd:CustomTags></ofd:Document>"
        ),
        "Doc_0/Pages/Page_0/Content.xml": (
            f'<ofd:Page xmlns:ofd="{OFD_NS}"><ofd:Content>'
            f'<ofd:Layer ID="2">{texts}</ofd:Layer></ofd:Content></ofd:Page>'
        ),
        "Doc_0/Tags/CustomTags.xml": (
            f'<ofd:CustomTags xmlns:ofd="{OFD_NS}"><ofd:CustomTag TypeID="invoice">'
            "<ofd:FileLoc>CustomTag.xml</ofd:FileLoc></ofd:CustomTag></ofd:CustomTags>"
        ),
        "Doc_0/Tags/CustomTag.xml": (
            f'<ofd:root xmlns:ofd="{OFD_NS}">{tags}</ofd:root>'
        ),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return out.getvalue()


SUMMARY_HEADERS = [
    "序号", "发票代码", "发票号码", "数电发票号码", "销方识别号", "销方名称",
    "购方识别号", "购买方名称", "开票日期", "金额", "税额", "价税合计",
    "发票来源", "发票票种", "发票状态", "是否正数发票", "发票风险等级",
    "开票人", "备注",
]  # fmt: skip


def summary_workbook(rows, headers=None):
    """The platform's export of issued invoices, sheet 信息汇总表; ``rows``
    as dicts by header."""
    headers = headers or SUMMARY_HEADERS
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "信息汇总表"
    sheet.append(headers)
    for row in rows:
        sheet.append([row.get(header, "") for header in headers])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def zip_of(files):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files:
            archive.writestr(name, data)
    return out.getvalue()
