"""What the demo's customers and staff write, and the knowledge base the service assistant answers from.

Sentiment must be unambiguous (a later sentiment model learns from it, reviews carry a matching rating), so each
template says one clear thing. Placeholders: {product}, {order}, {qty}, {days}, {contact}, {category}. A leading
``[TAG,...]`` limits a template to those product categories (nobody complains that safety glasses overheat) or,
for staff notes, to those channels; see :func:`template_tags`.
Knowledge-base articles draw every number from one ``POLICY`` table, and product guides from the generated
catalogue, so an answer citing two articles never meets two different return windows.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pandas as pd

from bizpilot.ingest.demo_content import (
    ATTR_LABELS_EN,
    ATTR_LABELS_ZH,
    CATEGORIES,
    UNIT_PHRASE,
    UNITS_ZH,
    VALUES_ZH,
    Category,
    DemoProduct,
)

_TAGS = re.compile(r"^\[([\w,]+)\]")


def template_tags(template: str) -> tuple[frozenset[str], str]:
    """Split ``"[PMP,VLV]The {product} ..."`` into its tags and its text (no tags: fits everything)."""
    match = _TAGS.match(template)
    if match is None:
        return frozenset(), template
    return frozenset(match.group(1).split(",")), template[match.end():]


CUSTOMER = {
    ("en", "positive"): (
        "The {product} arrived two days early and every unit was in perfect condition.",
        "We have been using the {product} for a month now and it performs exactly as specified.",
        "Great service as always: order {order} was picked, packed and delivered without a single issue.",
        "Quality of the {product} is excellent, noticeably better than what we were buying before.",
        "Thanks for the quick turnaround on {order}; our site team really appreciated it.",
        "Your support rep solved our problem in one call. Very impressed.",
        "[PMP,VLV,ELC,LGT,PWT]The {product} was easy to install and the documentation was clear.",
        "Pricing on the {product} is very competitive and the quality holds up.",
        "Packaging was sturdy and nothing was damaged in transit.",
        "We reordered the {product} because our staff love it.",
        "Delivery was on time and the driver was courteous and helpful.",
        "The invoice for {order} matched our PO perfectly, which makes our accounts team happy.",
        "Really reliable supplier: we have not had a stockout since switching to you.",
        "The {product} has held up well under heavy daily use.",
        "Excellent communication from your team about the shipment status of {order}.",
        "Everything on {order} arrived complete and correctly labelled.",
        "The online ordering portal is fast and easy to use.",
        "Very happy with the {product}; we will standardise on it across all our sites.",
        "Your team went above and beyond to get {order} to us before the holiday.",
        "Consistent quality batch after batch; the {product} never lets us down.",
        "The replacement was sent the same day, which was fantastic.",
        "Fair prices, fast shipping and friendly people. Five stars.",
        "We appreciate the volume discount on the {product}; it makes a real difference.",
        "[PMP,ELC,LGT,PWT,TLS]Setup took less than ten minutes and the {product} worked perfectly out of the box.",
        "Our maintenance crew says the {product} is the best they have used.",
        "The tracking updates were accurate and the delivery window was respected.",
        "Thank you for recommending the {product}; it solved our problem completely.",
        "Order {order} was handled professionally from quote to delivery.",
        "The {product} exceeded our expectations for durability.",
        "Customer service answered within the hour and had the answer ready.",
        "All {qty} units arrived well packed and ready to use.",
        "Great value for money; we will definitely order the {product} again.",
        "The account manager tells us about price changes well in advance, which we value.",
        "The return was painless and the credit appeared within a few days.",
        "[PMP,VLV,FST,ELC,LGT,TLS,PWT]The {product} fits our equipment perfectly, no modifications needed.",
        "Lead times have been excellent this quarter.",
        "Smooth experience overall, and the paperwork was spot on.",
        "We are very satisfied with the {product} and with your service.",
        "Our staff noticed the improvement right away after switching to the {product}.",
        "Impressed by how quickly you resolved the billing question on {order}.",
        "Solid product, fast delivery, no complaints at all.",
        "The {product} is well made and clearly built to last.",
    ),
    ("en", "negative"): (
        "Order {order} arrived {days} days late and our production line was held up.",
        "Several units of the {product} were damaged when we opened the boxes.",
        "[PMP,VLV,ELC,LGT,PWT]The {product} stopped working after less than two weeks of normal use.",
        "We were invoiced twice for {order} and still have not received a credit.",
        "Nobody has replied to my last three emails about this problem.",
        "The {product} we received does not match the specifications on your website.",
        "Half of the items on {order} were missing from the delivery.",
        "Very disappointed with the quality of the {product}; it feels cheap and flimsy.",
        "Your price went up again without any notice, which is unacceptable.",
        "The wrong size was shipped and now we have to wait another week.",
        "[PMP,VLV,ELC]The {product} keeps failing at the connection even after we replaced the parts.",
        "We have been waiting {days} days for a refund on our return.",
        "Customer service kept transferring me and no one could give an answer.",
        "The delivery driver left the pallet outside in the rain.",
        "This is the third late delivery this quarter and our patience is running out.",
        "The {product} arrived without the certificate of conformity we asked for.",
        "The tracking number for {order} has not updated in a week.",
        "We are seriously considering moving our business to another supplier.",
        "The packaging was crushed and the {product} inside was unusable.",
        "Your portal showed the {product} in stock, but the order was backordered after we paid.",
        "The quality of this batch is far worse than the previous one.",
        "We had to cancel a job because {order} did not arrive as promised.",
        "[PMP,VLV,ELC,LGT]The instructions are incomplete and the {product} would not install correctly.",
        "Our invoice shows a different price than the quote we accepted.",
        "The {product} failed inspection on arrival; {qty} units are now sitting in quarantine.",
        "No one told us about the delay until we called to chase it.",
        "Terrible experience: the replacement was also defective.",
        "[PMP,ELC,LGT,PWT]The {product} overheats after about an hour of use, which is a safety concern.",
        "We were charged shipping on an order that should have qualified for free delivery.",
        "Too many mistakes lately: wrong items, wrong quantities and missing paperwork.",
        "[CLN,ADH,PKG]The {product} smells strongly of chemicals and our staff have complained.",
        "Your return process is slow and confusing.",
        "[PPE,PKG,ADH,OFS]The colour of the {product} is completely different from the sample.",
        "Still waiting on an answer about order {order}; this is becoming a serious problem.",
        "[PMP,VLV,TLS,PWT,LGT,PPE]The {product} wore out long before the stated service life.",
        "We received {qty} units but were billed for more.",
        "Support promised a call back yesterday and it never happened.",
        "The labels on the cartons were wrong, so our warehouse rejected the delivery.",
        "Not worth the money; we will not be reordering the {product}.",
        "Lead times keep slipping and nobody takes responsibility.",
        "Several pieces of the {product} had obvious manufacturing defects.",
        "We are unhappy with how this complaint has been handled so far.",
    ),
    ("en", "neutral"): (
        "Could you send us an updated quote for {qty} units of the {product}?",
        "Please confirm the expected delivery date for order {order}.",
        "Is the {product} available in a different pack size?",
        "We would like to change the delivery address for {order}.",
        "[CLN,ADH,PPE]Can you send the safety data sheet for the {product}?",
        "Please add our new purchasing contact to the account.",
        "What are the payment terms for larger orders?",
        "What is the lead time for {qty} pieces of the {product}?",
        "Please send a copy of the invoice for order {order}.",
        "We need the certificate of conformity for the {product} for our records.",
        "Can we schedule the next delivery for a Tuesday morning?",
        "Is there a compatible replacement for the discontinued model?",
        "Please update our billing address to the new office.",
        "We are reviewing our supplier list for next year and would like a catalogue.",
        "Could you confirm whether the {product} is in stock at the moment?",
        "Please split order {order} into two shipments if possible.",
        "[PMP,VLV,ELC,LGT,TLS,PWT]What is the warranty period on the {product}?",
        "We received the goods; the paperwork will be processed by our accounts team.",
        "Can you provide dimensions and weight for the {product}?",
        "Our tax exemption certificate is attached for your files.",
        "Please quote the {product} in cartons of {qty}.",
        "Who is our account manager now that the territory has changed?",
        "We would like to set up a standing order for the {product}.",
        "Please confirm receipt of our purchase order.",
        "Is it possible to collect order {order} from your warehouse?",
        "Kindly send us the price list for next quarter.",
        "Do you ship to our second site in the same region?",
        "[LGT,ELC,PMP,PWT,ADH,PPE]Can the {product} be used outdoors?",
        "We need an extra copy of the delivery note for {order}.",
        "What is the minimum order quantity for the {product}?",
        "Please note our office will be closed next Friday.",
        "Can you check whether payment for {order} has been received?",
        "We are comparing the {product} with a similar item; could you send the spec sheet?",
        "Please register our new PO number for upcoming orders.",
        "Is there a bulk price for orders above {qty} units?",
        "Could you advise the HS code for the {product} for customs?",
        "The goods were received and counted; no further action needed.",
        "Please change the contact phone number on our account.",
        "What documentation is required to open a credit account?",
        "Can order {order} be delivered in the afternoon instead?",
        "[PPE,PKG,ADH,OFS]We would like to know if the {product} comes in another colour.",
        "Please send a proforma invoice for {qty} units of the {product}.",
    ),
    ("zh", "positive"): (
        "{product}比预计提前两天到货，所有货品完好无损。", "{product}已经用了一个月，性能完全符合规格。",
        "订单{order}从备货到送货都非常顺利，服务一如既往地好。", "{product}质量非常好，明显优于我们之前采购的产品。",
        "感谢你们快速处理订单{order}，现场同事都很满意。", "客服一次电话就解决了我们的问题，非常专业。",
        "[PMP,VLV,ELC,LGT,PWT]{product}安装很方便，说明书也写得很清楚。", "{product}价格很有竞争力，质量也很稳定。",
        "包装很结实，运输过程中没有任何损坏。", "员工都很喜欢{product}，所以我们又追加了订单。",
        "送货准时，司机态度也很好。", "订单{order}的发票和采购单完全一致，财务很省心。",
        "换成你们供货以后，我们再也没有断过货。", "{product}每天高强度使用，依然表现良好。",
        "关于订单{order}的发货进度，你们的沟通非常及时。", "订单{order}的货品齐全，标签也都正确。",
        "网上下单系统很快，操作也简单。", "对{product}非常满意，准备在所有厂区统一使用。",
        "你们特意在节前把订单{order}送到，太感谢了。", "每一批质量都很稳定，{product}从来没让我们失望。",
        "更换件当天就寄出了，服务很到位。", "价格公道，发货快，人员热情，五星好评。",
        "{product}的批量折扣对我们帮助很大，谢谢。", "[PMP,ELC,LGT,PWT,TLS]{product}开箱即用，十分钟就装好了。",
        "维修班组说这是他们用过最好的{product}。", "物流信息更新准确，送货时间也按约定。",
        "谢谢推荐{product}，完全解决了我们的问题。", "订单{order}从报价到交货都很专业。",
        "{product}的耐用程度超出了我们的预期。", "客服一个小时内就给了答复，效率很高。",
        "{qty}件货全部到齐，包装完好，可以直接使用。", "性价比很高，{product}我们一定会继续订购。",
        "客户经理总是提前通知价格调整，我们很认可。", "退货流程很顺畅，几天内就收到了退款。",
        "[PMP,VLV,FST,ELC,LGT,TLS,PWT]{product}和我们的设备完全匹配，不需要任何改动。", "这个季度的交货周期非常理想。",
        "整体体验很顺畅，单据也都准确无误。", "我们对{product}和你们的服务都非常满意。",
        "换用{product}后，员工马上就感觉到了改善。", "订单{order}的账务问题很快就处理好了，印象深刻。",
        "产品可靠，发货迅速，没有任何问题。", "{product}做工扎实，一看就很耐用。",
    ),
    ("zh", "negative"): (
        "订单{order}晚到了{days}天，耽误了我们的生产。", "打开箱子发现好几件{product}已经损坏。",
        "[PMP,VLV,ELC,LGT,PWT]{product}正常使用不到两周就坏了。", "订单{order}被重复开票，到现在还没有退款。",
        "我之前发的三封邮件都没有人回复。", "收到的{product}和网站上的规格不一致。",
        "订单{order}有一半的货没有送到。", "{product}质量太差了，做工粗糙，很失望。",
        "价格又涨了，事先没有任何通知，无法接受。", "发错了尺寸，我们又要多等一个星期。",
        "[PMP,VLV,ELC]{product}的接口处一直出问题，换了配件也没用。", "退货已经{days}天了，退款还没到账。",
        "客服电话一直转来转去，没有人能给出答复。", "送货司机把托盘直接放在室外淋雨。",
        "这个季度已经是第三次延迟交货了，我们的耐心快没了。", "{product}到货时没有附上我们要求的合格证。",
        "订单{order}的物流信息一个星期都没有更新。", "我们正在认真考虑换其他供应商。",
        "外箱被压坏了，里面的{product}根本不能用。", "网站显示{product}有现货，付款后却说要等补货。",
        "这一批的质量比上一批差很多。", "订单{order}没有按时到货，我们只好取消了一个项目。",
        "[PMP,VLV,ELC,LGT]说明书不完整，{product}怎么都装不好。", "发票上的价格和我们确认的报价不一样。",
        "{product}到货检验不合格，{qty}件货现在都压在仓库里。", "延迟发货也没人通知，还是我们打电话催了才知道。",
        "体验很差，换来的货也是坏的。", "[PMP,ELC,LGT,PWT]{product}用一个小时就严重发热，存在安全隐患。",
        "这单本来应该免运费，却被收了运费。", "最近错误太多了：发错货、数量不对、单据缺失。",
        "[CLN,ADH,PKG]{product}有很重的化学气味，员工都在投诉。", "你们的退货流程又慢又复杂。",
        "[PPE,PKG,ADH,OFS]{product}的颜色和样品完全不一样。", "订单{order}的问题到现在都没有答复，已经很严重了。",
        "[PMP,VLV,TLS,PWT,LGT,PPE]{product}远远达不到标称的使用寿命。", "我们只收到{qty}件，却按更多的数量开了票。",
        "客服答应昨天回电话，结果一直没有消息。", "纸箱上的标签贴错了，仓库拒收了这批货。",
        "不值这个价，{product}我们不会再订了。", "交期一拖再拖，也没有人负责。",
        "好几件{product}有明显的制造缺陷。", "对这次投诉的处理结果非常不满意。",
    ),
    ("zh", "neutral"): (
        "请帮我们更新一下{qty}件{product}的报价。", "请确认订单{order}的预计到货日期。",
        "{product}有没有其他包装规格？", "我们想修改订单{order}的收货地址。",
        "[CLN,ADH,PPE]请提供{product}的安全技术说明书（SDS）。", "请把我们新的采购联系人加到账户里。",
        "大额订单的付款条件是怎样的？", "{qty}件{product}的交货周期是多久？",
        "请发一份订单{order}的发票副本。", "我们需要{product}的合格证存档。",
        "下次送货能否安排在周二上午？", "停产的型号有没有可以替代的产品？",
        "请把开票地址更新为新的办公地址。", "我们在做明年的供应商评估，请发一份产品目录。",
        "请确认{product}目前是否有现货。", "如果可以的话，订单{order}请分两批发货。",
        "[PMP,VLV,ELC,LGT,TLS,PWT]{product}的保修期是多久？", "货已收到，单据会由财务部门处理。",
        "能否提供{product}的尺寸和重量？", "附件是我们的营业执照和开票信息，请存档。",
        "请按每箱{qty}件报{product}的价格。", "区域调整后，我们的客户经理是哪位？",
        "我们想为{product}设置定期订单。", "请确认已收到我们的采购订单。",
        "订单{order}能否到你们仓库自提？", "请发一份下季度的价格表。",
        "你们能送货到我们在同一地区的第二个工厂吗？", "[LGT,ELC,PMP,PWT,ADH,PPE]{product}可以在户外使用吗？",
        "请再提供一份订单{order}的送货单。", "{product}的最小起订量是多少？",
        "请注意，我们公司下周五放假。", "请帮忙核对订单{order}的货款是否已到账。",
        "我们在对比{product}和另一款产品，请发一下规格书。", "请登记我们新的采购单号，后续订单使用。",
        "采购超过{qty}件有没有批量价格？", "请告知{product}的海关编码，报关需要。",
        "货已收到并清点完毕，无需其他处理。", "请更新我们账户上的联系电话。",
        "开通月结账户需要提供哪些资料？", "订单{order}能否改为下午送货？",
        "[PPE,PKG,ADH,OFS]{product}有没有其他颜色可选？", "请开一张{qty}件{product}的形式发票。",
    ),
}

# A review that is neither praise nor complaint (rating 3); the question-style neutral pool reads oddly as a review.
NEUTRAL_REVIEW = {
    "en": (
        "The {product} does the job; nothing special but no problems either.",
        "Average quality for the price. It works as described.",
        "The {product} is fine for occasional use.",
        "Delivery was as expected and the {product} matches the description.",
        "It is an okay product; we have used better and worse.",
        "Standard quality, standard price. No surprises.",
        "The {product} works, although the packaging could be simpler.",
        "Acceptable overall; we will see how it holds up over time.",
        "Does what it says. Nothing more to add.",
        "The {product} is comparable to what we used before.",
        "Order {order} arrived as scheduled; the product is adequate.",
        "Reasonable option if the usual brand is out of stock.",
        "Fit and finish are acceptable for this price range.",
        "It meets our basic requirements.",
        "The {product} is okay, but we have not used it long enough to judge durability.",
    ),
    "zh": (
        "{product}能用，没有特别出彩，也没有问题。", "质量和价格相符，和描述一致。",
        "{product}偶尔用用还可以。", "送货时间正常，{product}和描述相符。",
        "产品一般，用过更好的也用过更差的。", "质量和价格都中规中矩，没有意外。",
        "{product}可以用，不过包装可以再简化一些。", "整体还可以，耐用性还要再观察。",
        "和说明一致，没什么要补充的。", "{product}和我们之前用的差不多。",
        "订单{order}按时到货，产品基本满足需要。", "常用品牌缺货时，这是个可以接受的选择。",
        "这个价位的做工还算可以。", "能满足我们的基本要求。",
        "{product}还行，用的时间不长，耐用性暂时说不好。",
    ),
}

# Staff-written call summaries, outbound e-mails and internal notes: the customer's mood in our own words.
STAFF = {
    ("en", "positive"): (
        "[call]Called {contact}: very happy with recent deliveries and expects to increase {category} volume next quarter.",
        "[call,note]Quarterly review with {contact} went well; they want a quote for an annual {category} agreement.",
        "{contact} thanked us for the fast replacement and asked to add a second delivery site.",
        "[email,note]Follow-up e-mail: confirmed the new volume pricing for {category}; {contact} replied that it works well.",
        "[note]Site visit: {contact} showed us the new line, our {category} products are standard there now.",
        "{contact} referred us to a sister company that needs {category}.",
        "[email,note]Sent the renewal proposal; {contact} said it looks good and expects sign-off this month.",
        "[call,note]Customer praised the account team in today's call and plans to consolidate suppliers with us.",
        "{contact} reports zero stockouts since the standing order started.",
        "[call]Good call with {contact}: happy with quality, asked about new {category} items.",
    ),
    ("en", "negative"): (
        "[call,note]Call with {contact}: frustrated about late deliveries and mentioned a competitor's quote for {category}.",
        "{contact} escalated the billing errors to their finance director; relationship at risk.",
        "[note]Internal note: customer has cut {category} orders sharply, likely switching supplier.",
        "Tried to reach {contact} three times about the open complaint; no response.",
        "{contact} said our prices are no longer competitive and they are running a tender.",
        "[call,note]Complaint call: damaged goods again; {contact} asked for a credit on all open invoices.",
        "Customer threatened to move all {category} volume elsewhere unless lead times improve.",
        "[note]Difficult meeting: {contact} listed quality issues from the last three orders.",
        "{contact} cancelled the quarterly review and asked for an account statement, a bad sign.",
        "[note]Note: overdue invoices and unanswered complaints; treat this account as a churn risk.",
    ),
    ("en", "neutral"): (
        "[call,note]Quarterly check-in with {contact}; no issues raised, next review in three months.",
        "[email,note]Sent the updated {category} price list to {contact} as requested.",
        "[call]Called {contact} to confirm the delivery schedule for next week.",
        "[call,note]Logged a change of billing address provided by {contact}.",
        "{contact} asked for certificates for {category} items; documents sent by e-mail.",
        "[call]Left a voicemail for {contact} about the upcoming price review.",
        "[note]Note: purchasing contact changed; {contact} is now the main buyer.",
        "[email,note]Shared the holiday shipping schedule with {contact}.",
        "[email,note]Sent credit application forms to {contact}.",
        "[call,note]Meeting with {contact} to walk through the ordering portal.",
    ),
    ("zh", "positive"): (
        "[call]致电{contact}：对近期送货非常满意，预计下季度会增加{category}采购量。",
        "[call,note]与{contact}的季度回顾很顺利，对方希望报一份{category}年度协议价。",
        "{contact}感谢我们快速更换货品，并要求新增一个送货地址。",
        "[email,note]跟进邮件：已确认{category}新的批量价格，{contact}回复表示很合适。",
        "[note]拜访客户：{contact}带我们参观了新产线，我们的{category}已成为标准用品。",
        "{contact}把我们推荐给了一家需要{category}的关联公司。",
        "[email,note]已发送续约方案，{contact}表示没问题，预计本月签署。",
        "[call,note]客户在今天的电话中表扬了我们的服务团队，计划把更多采购集中到我们这里。",
        "{contact}反馈自从设置定期订单后再没有断过货。",
        "[call]和{contact}通话很愉快：对质量满意，询问了新的{category}产品。",
    ),
    ("zh", "negative"): (
        "[call,note]与{contact}通话：对延迟交货很不满，提到了竞争对手的{category}报价。",
        "{contact}已把开票错误上报给财务总监，合作关系存在风险。",
        "[note]内部备注：客户大幅减少了{category}订单，可能正在更换供应商。",
        "为未结投诉联系{contact}三次，均无回应。",
        "{contact}表示我们的价格已没有竞争力，对方正在招标。",
        "[call,note]投诉电话：再次出现货损，{contact}要求对所有未结发票给予折让。",
        "客户表示如果交期不改善，将把全部{category}采购转给别家。",
        "[note]会议气氛紧张：{contact}列举了最近三批订单的质量问题。",
        "{contact}取消了季度回顾，只要求提供对账单，情况不妙。",
        "[note]备注：发票逾期且投诉未处理，该客户有流失风险。",
    ),
    ("zh", "neutral"): (
        "[call,note]与{contact}进行季度例行沟通，未提出问题，三个月后再回顾。",
        "[email,note]已按要求把最新的{category}价格表发给{contact}。",
        "[call]致电{contact}确认下周的送货安排。",
        "[call,note]已登记{contact}提供的新开票地址。",
        "{contact}索取{category}产品的合格证，资料已邮件发送。",
        "[call]给{contact}留言，告知即将进行的价格调整评估。",
        "[note]备注：采购联系人变更，现由{contact}负责下单。",
        "[email,note]已把节假日发货安排发给{contact}。",
        "[email,note]已把月结账户申请表发给{contact}。",
        "[call,note]与{contact}开会，演示了网上订货系统。",
    ),
}

SUBJECTS = {
    ("en", "positive"): ("Thank you for order {order}", "Great experience with the {product}", "Feedback on {product}",
                         "Compliments to your team", "Re: delivery of {order}"),
    ("en", "negative"): ("Complaint: order {order}", "Damaged delivery on {order}", "Problem with {product}",
                         "Late delivery: {order}", "Billing error on {order}", "Unresolved issue, please escalate"),
    ("en", "neutral"): ("Quote request: {product}", "Question about order {order}", "Delivery date for {order}",
                        "Documents for {product}", "Account details update", "Stock enquiry: {product}"),
    ("zh", "positive"): ("感谢订单{order}的服务", "{product}使用反馈", "表扬你们的团队", "关于订单{order}的送货"),
    ("zh", "negative"): ("投诉：订单{order}", "订单{order}货损", "{product}质量问题", "订单{order}延迟交货",
                         "订单{order}开票错误", "问题仍未解决，请升级处理"),
    ("zh", "neutral"): ("询价：{product}", "关于订单{order}的问题", "订单{order}的到货时间", "{product}相关资料",
                        "账户信息更新", "库存查询：{product}"),
}
REVIEW_TITLES = {
    ("en", "positive"): ("Excellent quality", "Highly recommended", "Just what we needed", "Reliable and well made"),
    ("en", "negative"): ("Disappointed", "Poor quality", "Would not buy again", "Not as described"),
    ("en", "neutral"): ("Does the job", "As described", "Average", "Okay for the price"),
    ("zh", "positive"): ("质量很好", "强烈推荐", "正是我们需要的", "可靠耐用"),
    ("zh", "negative"): ("很失望", "质量差", "不会再买", "与描述不符"),
    ("zh", "neutral"): ("还可以", "与描述一致", "一般", "对得起价格"),
}

# One set of policy facts, used by every knowledge-base article in both languages so answers never disagree.
POLICY = {
    "return_days": 30, "restocking_fee": "15%", "net_days": 30, "free_ship_usd": "USD 500",
    "free_ship_cny": "CNY 3,500", "flat_ship_usd": "USD 25", "cutoff": "2:00 pm", "cutoff_24h": "14:00",
    "standard_days": "3-5", "express_days": "1-2", "intl_days": "7-14", "damage_hours": 48, "refund_days": 7, "warranty_std": 12, "warranty_long": 24, "credit_days": "3-5", "late_interest": "1.5%",
    "dispute_days": 14, "min_order_usd": "USD 50", "fapiao_days": 5, "email": "support@harborline.example",
    "orders_email": "orders@harborline.example",
}

# (slug, category, tags, (en title, en body), (zh title, zh body)); bodies are Markdown with {policy} fields.
POLICY_ARTICLES = (
    ("shipping-options", "shipping", ("shipping", "delivery", "lead time"),
     ("Shipping options and delivery times",
      "## Standard and express delivery\nOrders placed before {cutoff} (local warehouse time) on a business day are "
      "dispatched the same day. Standard delivery takes {standard_days} business days; express delivery takes "
      "{express_days} business days for an additional fee shown at checkout.\n\n## International shipments\n"
      "International orders are delivered in {intl_days} business days. Duties and import taxes are paid by the "
      "customer unless agreed otherwise in writing.\n\n## Tracking\nA tracking link is e-mailed when the order is "
      "dispatched and is also shown in the ordering portal under *My orders*."),
     ("配送方式与送达时间",
      "## 标准配送与加急配送\n工作日{cutoff_24h}（仓库当地时间）前下单，当天发货。标准配送需{standard_days}个工作日；"
      "加急配送需{express_days}个工作日，加急费用在结算时显示。\n\n## 国际发货\n国际订单{intl_days}个工作日送达。"
      "除非另有书面约定，关税和进口税由客户承担。\n\n## 物流跟踪\n订单发货后系统会通过邮件发送物流跟踪链接，"
      "也可以在订货平台的“我的订单”中查看。")),
    ("free-shipping", "shipping", ("shipping", "freight", "free shipping"),
     ("Free shipping threshold and freight charges",
      "## Free standard shipping\nOrders of {free_ship_usd} or more (before tax) ship free by standard delivery. "
      "For orders invoiced in CNY the threshold is {free_ship_cny}.\n\n## Orders below the threshold\nA flat "
      "freight charge of {flat_ship_usd} applies per order below the threshold. Express delivery and pallet "
      "deliveries to sites without a loading dock are charged at cost.\n\n## Combining orders\nOpen orders placed "
      "on the same day for the same delivery address are combined automatically when checking the threshold."),
     ("免运费标准与运费说明",
      "## 标准配送免运费\n订单金额（税前）满{free_ship_usd}即可享受标准配送免运费；以人民币结算的订单，"
      "免运费标准为{free_ship_cny}。\n\n## 未达标准的订单\n未达到免运费标准的订单，每单收取{flat_ship_usd}的固定运费。"
      "加急配送以及送往无装卸平台场地的整托盘配送按实际费用收取。\n\n## 合并订单\n同一天下单、送往同一地址的订单，"
      "在计算免运费标准时会自动合并。")),
    ("damaged-or-missing", "shipping", ("delivery", "damage", "missing items", "claims"),
     ("Damaged or missing items in a delivery",
      "## Report within {damage_hours} hours\nPlease check deliveries on arrival and report damaged or missing items "
      "within {damage_hours} hours by opening a ticket or e-mailing {email}. Include the order number and photos of "
      "the packaging and the goods.\n\n## What happens next\nWe send replacements for confirmed damage or shortages "
      "free of charge, usually the same business day. You do not need to return damaged goods unless we ask for "
      "them.\n\n## Refused deliveries\nIf a pallet is visibly damaged, note it on the driver's delivery note before "
      "signing."),
     ("货物破损或缺件处理",
      "## {damage_hours}小时内反馈\n请在收货时检查货物，如有破损或缺件，请在{damage_hours}小时内提交工单或发邮件至"
      "{email}，并附上订单号以及外包装和货物的照片。\n\n## 后续处理\n经确认的破损或缺件，我们会免费补发，通常当天发出。"
      "除非我们要求，破损货物无需退回。\n\n## 拒收\n如果托盘有明显破损，请在签收前在司机的送货单上注明。")),
    ("return-policy", "returns", ("returns", "refund", "restocking fee"),
     ("Return policy",
      "## Return window\nUnused items in their original packaging can be returned within {return_days} days of "
      "delivery. Every return needs a return authorisation (RMA) number.\n\n## Fees\nReturns of items that are not "
      "defective carry a {restocking_fee} restocking fee. Defective items and items we shipped in error are "
      "returned free of charge and credited in full.\n\n## Items that cannot be returned\nCables cut to length, "
      "special-order items and opened hygiene products (respirators, ear plugs, hand soap) cannot be returned.\n\n"
      "## Refunds\nCredits or refunds are issued within {refund_days} business days after the return reaches our "
      "warehouse."),
     ("退货政策",
      "## 退货期限\n未使用且保留原包装的商品，可在签收后{return_days}天内退货。所有退货都需要先申请退货授权号（RMA）。\n\n"
      "## 费用\n非质量问题的退货收取{restocking_fee}的重新上架费。质量问题或我方发错的商品免费退货并全额退款。\n\n"
      "## 不可退货商品\n按长度裁切的电缆、特殊订购商品以及已拆封的卫生防护用品（口罩、耳塞、洗手液）不予退货。\n\n"
      "## 退款\n退货到达我方仓库后{refund_days}个工作日内完成退款或开具贷项。")),
    ("how-to-return", "returns", ("returns", "RMA"),
     ("How to request a return (RMA)",
      "## Request an RMA\nOpen a ticket in the portal or e-mail {email} with the order number, the SKUs, the "
      "quantities and the reason for the return. You receive an RMA number and a return label within one business "
      "day.\n\n## Send the goods back\nWrite the RMA number on the outside of each carton. Returns without an RMA "
      "number may be refused.\n\n## Credit\nThe credit note appears on your account within {refund_days} business "
      "days after we receive the goods (see *Return policy*)."),
     ("如何申请退货（RMA）",
      "## 申请退货授权号\n请在订货平台提交工单，或发邮件至{email}，注明订单号、商品编码、数量和退货原因。"
      "我们会在一个工作日内提供退货授权号（RMA）和退货面单。\n\n## 寄回商品\n请在每个纸箱外侧写上退货授权号，"
      "没有授权号的退货可能会被拒收。\n\n## 退款\n收到退货后{refund_days}个工作日内，贷项通知单会显示在您的账户中"
      "（详见《退货政策》）。")),
    ("cancel-or-change-order", "ordering", ("orders", "cancellation", "changes"),
     ("Cancelling or changing an order",
      "## Before dispatch\nOrders can be changed or cancelled free of charge until they are dispatched. Use *My "
      "orders* in the portal or contact your account manager. A cancelled order is confirmed with a credit note.\n\n"
      "## After dispatch\nOnce an order has left the warehouse it can no longer be cancelled; it is handled as a "
      "return within {return_days} days under the *Return policy*.\n\n## Special-order items\nSpecial-order and "
      "cut-to-length items cannot be cancelled after we have placed the order with the manufacturer."),
     ("取消或修改订单",
      "## 发货前\n订单在发货前可以免费修改或取消，请在订货平台的“我的订单”中操作，或联系您的客户经理。"
      "取消订单后会出具贷项通知单确认。\n\n## 发货后\n订单出库后无法取消，需按《退货政策》在{return_days}天内办理退货。\n\n"
      "## 特殊订购商品\n特殊订购商品和按长度裁切的商品，在我们向厂家下单后不能取消。")),
    ("payment-terms", "payments", ("payment terms", "Net 30", "credit account"),
     ("Payment terms and credit accounts",
      "## Net {net_days}\nApproved credit accounts pay invoices within {net_days} days of the invoice date "
      "(Net {net_days}). New customers pay by card or bank transfer in advance until a credit account is opened.\n\n"
      "## Opening a credit account\nSend the credit application form with your company registration and two trade "
      "references. The review takes {credit_days} business days.\n\n## Late payment\nOverdue balances accrue "
      "interest of {late_interest} per month, and new orders may be put on hold until the account is current."),
     ("付款条件与信用账户",
      "## 月结{net_days}天\n已审批的信用账户在发票日期起{net_days}天内付款（Net {net_days}）。新客户在信用账户开通前，"
      "需通过银行卡或银行转账预付货款。\n\n## 申请信用账户\n请提交信用申请表、营业执照及两家供应商推荐信，"
      "审核需要{credit_days}个工作日。\n\n## 逾期付款\n逾期余额按每月{late_interest}计收利息，"
      "账户结清前新订单可能会被暂停处理。")),
    ("payment-methods", "payments", ("payment", "bank transfer", "credit card"),
     ("Accepted payment methods",
      "## Methods\nWe accept bank transfer (including ACH and SEPA), major credit cards and, for customers in "
      "mainland China, transfers in CNY to our local account.\n\n## Remittance details\nPlease quote the invoice "
      "number on every payment so it is matched automatically. Remittance advice can be e-mailed to {email}.\n\n"
      "## Terms\nCard and transfer payments are subject to the same Net {net_days} terms for credit accounts (see "
      "*Payment terms and credit accounts*)."),
     ("支持的付款方式",
      "## 付款方式\n我们支持银行转账（包括ACH和SEPA）、主流信用卡；中国大陆客户可以人民币转账至我们的本地账户。\n\n"
      "## 付款备注\n每笔付款请注明发票号，以便系统自动核销。付款水单可发送至{email}。\n\n"
      "## 账期\n信用账户无论以何种方式付款，均适用月结{net_days}天的付款条件（详见《付款条件与信用账户》）。")),
    ("invoices-and-credit-notes", "invoices", ("invoice", "credit note", "fapiao", "billing"),
     ("Invoices, credit notes and billing disputes",
      "## Invoices\nAn invoice is e-mailed as a PDF when the order is dispatched; copies are available in the "
      "portal under *Invoices*. Customers in mainland China receive a VAT fapiao within {fapiao_days} business days "
      "of dispatch.\n\n## Credit notes\nCancellations and accepted returns are settled with a credit note that "
      "references the original invoice.\n\n## Disputes\nPlease raise billing questions within {dispute_days} days "
      "of the invoice date with the invoice number. Undisputed lines remain due on the normal Net {net_days} terms."),
     ("发票、贷项通知单与账单争议",
      "## 发票\n订单发货时，PDF发票会通过邮件发送，也可以在订货平台的“发票”中下载。中国大陆客户在发货后"
      "{fapiao_days}个工作日内收到增值税发票。\n\n## 贷项通知单\n取消订单和已确认的退货，通过关联原发票的贷项通知单结算。\n\n"
      "## 账单争议\n如对账单有疑问，请在发票日期起{dispute_days}天内凭发票号提出。无争议的部分仍按月结{net_days}天付款。")),
    ("placing-orders", "ordering", ("orders", "portal", "EDI", "minimum order"),
     ("How to place an order",
      "## Ordering channels\nOrder through the online portal, by e-mail to {orders_email}, by EDI for integrated "
      "customers, or through your account manager. Phone orders are confirmed by e-mail.\n\n## Cut-off and "
      "minimum\nOrders received before {cutoff} ship the same business day. The minimum order value is "
      "{min_order_usd}.\n\n## Standing orders\nFor items you buy regularly, set up a standing order with a fixed "
      "interval; you can pause or change it at any time in the portal."),
     ("如何下单",
      "## 下单渠道\n可以通过网上订货平台、发送邮件至{orders_email}、EDI系统对接或联系客户经理下单。电话订单会通过邮件确认。\n\n"
      "## 截单时间与起订金额\n{cutoff_24h}前收到的订单当天发货。最低订单金额为{min_order_usd}。\n\n## 定期订单\n"
      "经常采购的商品可以设置固定周期的定期订单，并可随时在订货平台暂停或修改。")),
    ("account-tiers", "account", ("account", "tiers", "account manager", "pricing"),
     ("Account tiers and your account manager",
      "## Tiers\nAccounts are grouped into strategic, key, standard and small tiers based on annual volume. Tier "
      "discounts apply automatically to catalogue prices.\n\n## Account manager\nStrategic and key accounts have a "
      "dedicated account manager and a quarterly business review. Standard and small accounts are served by the "
      "customer service team at {email}.\n\n## Keeping details current\nUpdate contacts, delivery addresses and "
      "billing details in the portal under *Account settings*."),
     ("客户等级与客户经理",
      "## 客户等级\n根据年度采购量，客户分为战略、重点、标准和小型四个等级，对应的等级折扣会自动计入目录价格。\n\n"
      "## 客户经理\n战略客户和重点客户配有专属客户经理，并每季度进行业务回顾。标准和小型客户由客服团队（{email}）提供服务。\n\n"
      "## 更新账户信息\n联系人、送货地址和开票信息可在订货平台的“账户设置”中更新。")),
    ("warranty-coverage", "warranty", ("warranty", "defects", "coverage"),
     ("Warranty coverage",
      "## Standard warranty\nProducts carry a {warranty_std}-month warranty against manufacturing defects from the "
      "delivery date.\n\n## Extended warranty\nPumps and power tools carry a {warranty_long}-month warranty.\n\n"
      "## Consumables\nConsumables (safety gear, cleaning supplies, packaging, paper, adhesives and office supplies) "
      "are covered against defects present on delivery; report them under the {return_days}-day *Return policy*.\n\n"
      "## Not covered\nWear and tear, misuse and installation that does not follow the manufacturer's instructions."),
     ("保修范围",
      "## 标准保修\n商品自交付之日起享受{warranty_std}个月的制造缺陷保修。\n\n## 延长保修\n泵类和电动工具享受"
      "{warranty_long}个月保修。\n\n## 消耗品\n消耗品（劳保用品、清洁用品、包装材料、纸品、胶粘剂和办公用品）"
      "仅保障到货时存在的缺陷，请按{return_days}天《退货政策》反馈。\n\n## 不在保修范围内\n正常磨损、使用不当，"
      "以及未按厂家说明安装造成的问题。")),
    ("warranty-claims", "warranty", ("warranty", "claims", "replacement"),
     ("Making a warranty claim",
      "## Open a claim\nOpen a ticket with the order number, the SKU, a description of the fault and photos or a "
      "short video.\n\n## Assessment\nWe reply within two business days. Where the fault is clear we ship a "
      "replacement straight away; otherwise we arrange collection for inspection by the manufacturer.\n\n"
      "## Outcome\nApproved claims are settled by replacement, repair or credit. Warranty periods are "
      "{warranty_std} months, or {warranty_long} months for pumps and power tools (see *Warranty coverage*)."),
     ("如何申请保修",
      "## 提交申请\n请提交工单，注明订单号、商品编码、故障描述，并附上照片或短视频。\n\n## 评估\n我们会在两个工作日内回复。"
      "故障明确的，直接寄出更换件；否则安排取件，交由厂家检测。\n\n## 处理结果\n审核通过的保修以更换、维修或退款方式处理。"
      "保修期为{warranty_std}个月，泵类和电动工具为{warranty_long}个月（详见《保修范围》）。")),
    ("product-documents", "products", ("SDS", "certificate of conformity", "documents", "compliance"),
     ("Safety data sheets and certificates",
      "## Safety data sheets\nSafety data sheets (SDS) for chemicals, cleaning supplies and adhesives can be "
      "downloaded from each product page or requested at {email}.\n\n## Certificates of conformity\nCertificates "
      "(CE, UL, CCC, EN and ANSI standards as listed in the product attributes) are available for every batch; ask "
      "for them when ordering so they ship with the goods.\n\n## Customs information\nHS codes and country of "
      "origin are listed on the commercial invoice for international shipments."),
     ("安全技术说明书与合格证",
      "## 安全技术说明书\n化学品、清洁用品和胶粘剂的安全技术说明书（SDS）可在商品页面下载，或发邮件至{email}索取。\n\n"
      "## 合格证\n每个批次均可提供合格证及认证文件（商品属性中列出的CE、UL、CCC、EN和ANSI标准）；"
      "请在下单时注明，资料会随货发出。\n\n## 报关信息\n国际发货的商业发票上会注明海关编码（HS编码）和原产地。")),
)


def _category_article(cat: Category, products: list[DemoProduct], language: str) -> tuple[str, str]:
    """A product-spec article generated from what the catalogue actually holds, so it cannot contradict it."""
    items = [p for p in products if p.category is cat and p.active]
    types = [t for t in cat.types if any(p.type_en == t[0] for p in items)] or list(cat.types)
    values = {k: [v for v in options if any(p.attributes.get(k) == v for p in items)]
              for k, options in cat.attributes.items()}
    certs = values.pop("certification", [])
    warranty = {"24 months": "long", "12 months": "std"}.get(cat.warranty, "consumable")
    if language == "zh":
        specs = "\n".join(f"- **{ATTR_LABELS_ZH[k]}**：{'、'.join(VALUES_ZH.get(v, v) for v in vs)}"
                          for k, vs in values.items())
        cover = {"long": f"{cat.name_zh}享受{POLICY['warranty_long']}个月保修。",
                 "std": f"{cat.name_zh}享受{POLICY['warranty_std']}个月保修。",
                 "consumable": f"{cat.name_zh}属于消耗品，仅保障到货时存在的缺陷，请按{POLICY['return_days']}天退货政策反馈。"}
        return (f"{cat.name_zh}选型指南与规格说明",
                f"## 概述\n我们目前备有{len(items)}款{cat.name_zh}，包括{'、'.join(t[1] for t in types)}，适用于"
                f"{cat.uses[1]}。\n\n## 主要规格\n{specs}\n\n## 标准与认证\n"
                + (f"可提供符合{'、'.join(certs)}的型号。" if certs else "")
                + "合格证和安全技术说明书可按需提供（详见《安全技术说明书与合格证》）。\n\n## 订购、库存与保修\n"
                f"按{UNITS_ZH[cat.unit]}销售。现货商品在{POLICY['cutoff_24h']}前下单当天发货，订单满{POLICY['free_ship_usd']}"
                f"免运费。{cover[warranty]}")
    labels = {k: ATTR_LABELS_EN.get(k, k.replace("_", " ")) for k in values}
    specs = "\n".join(f"- **{labels[k][:1].upper()}{labels[k][1:]}**: {', '.join(vs)}" for k, vs in values.items())
    cover = {"long": f"{cat.name} carry a {POLICY['warranty_long']}-month warranty.",
             "std": f"{cat.name} carry the standard {POLICY['warranty_std']}-month warranty.",
             "consumable": f"{cat.name} are consumables: they are covered against defects present on delivery "
                           f"under the {POLICY['return_days']}-day return policy."}
    return (f"{cat.name}: selection guide and specifications",
            f"## Overview\nOur {cat.name.lower()} range has {len(items)} products for {cat.uses[0]}, including "
            f"{', '.join(t[0].lower() for t in types)}.\n\n## Key specifications\n{specs}\n\n"
            "## Standards and certifications\n" + (f"Models are available certified to {', '.join(certs)}. "
                                                     if certs else "")
            + "Certificates of conformity and safety data sheets are available on request (see *Safety data "
            f"sheets and certificates*).\n\n## Ordering, stock and warranty\n{UNIT_PHRASE[cat.unit]} Items in stock "
            f"ship the same business day when ordered before {POLICY['cutoff']}; orders of {POLICY['free_ship_usd']} "
            f"or more ship free. {cover[warranty]}")


def knowledge_frame(products: list[DemoProduct], begin: datetime) -> pd.DataFrame:
    """Policy articles (one set of facts in both languages) plus a spec guide per product category."""
    rows = []
    for slug, category, tags, *versions in POLICY_ARTICLES:
        for language, (title, body) in zip(("en", "zh"), versions, strict=True):
            rows.append({"external_id": f"kb-{slug}-{language}", "title": title, "body": body.format(**POLICY),
                         "category": category, "tags": list(tags), "language": language})
    for cat in CATEGORIES:
        for language in ("en", "zh"):
            title, body = _category_article(cat, products, language)
            rows.append({"external_id": f"kb-products-{cat.code.lower()}-{language}", "title": title, "body": body,
                         "category": "products", "tags": ["products", cat.name.lower(), "specifications"],
                         "language": language})
    for i, row in enumerate(rows):
        row["updated_at"] = begin - timedelta(days=14 + 9 * i)
    return pd.DataFrame(rows)
