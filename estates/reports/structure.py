"""The official structure of a nomination report (推荐材料), shared by the writer and the reader.

The report of the Linyi nomination is the model: a title, 一、基本情况, 二、满足“美好家园”小区
原则要求情况 with the campaign's principle requirements （一）…（九）, 三、8个“一”活动开展情况 with
its required activities, 四、工作成效及亮点. The portal's own report adds 五、图片资料. The writer
puts the parts under these headings (Word's 标题 1 and 标题 2 styles), the reader finds them in
the portal's reports and in the provinces' own, whose wording varies.
"""

BASIC = "基本情况"
CRITERIA = "满足“美好家园”小区原则要求情况"
ACTIVITIES = "8个“一”活动开展情况"
RESULTS = "工作成效及亮点"
PHOTOS = "图片资料"

# The sections in report order, numbered 一、二、… in the portal's report.
SECTIONS = (BASIC, CRITERIA, ACTIVITIES, RESULTS, PHOTOS)

# What the portal's report says under a requirement or activity that has no text yet; read
# back as an empty box.
EMPTY_BOX = "（未填写）"


def numbered_section(index, title):
    """ "一、基本情况" for (0, BASIC)."""
    from ..models.campaigns import chinese_numeral

    return f"{chinese_numeral(index + 1)}、{title}"
