"""Traditional Chinese characters folded to simplified ones, for rules written in simplified Chinese.

Replies from models and doctors in Hong Kong or Taiwan (請問您幾歲, 建議去醫院) would otherwise miss every
cue. The table maps one character to one character, so offsets are unchanged; it covers the characters
of consultation text, and leaves out those that are also simplified characters of another word (著, 乾
in 乾隆 is harmless, 甚 stays: 甚麼 is handled as a word).
"""

from __future__ import annotations

_PAIRS = (
    "請请問问醫医議议檢检這这種种況况歲岁幾几沒没過过發发燒烧嗎吗麼么麽么後后說说話话時时間间藥药療疗診诊斷断"
    "體体溫温熱热應应該该為为們们個个會会還还長长頭头臟脏腦脑齒齿嚨咙癥症狀状複复復复處处現现題题謝谢氣气壓压"
    "脈脉膚肤癢痒腫肿瘡疮膿脓嘔呕瀉泻腸肠經经嬰婴兒儿媽妈週周幫帮見见務务儘尽盡尽飲饮飯饭運运動动覺觉輕轻嚴严"
    "險险觀观測测數数據据報报結结顯显異异點点鐘钟從从來来與与無无讓让給给對对錯错樣样邊边裡里裏里實实際际認认"
    "識识親亲聽听讀读寫写關关係系開开門门風风機机電电視视線线紅红綠绿黃黄顏颜區区內内傷伤傳传預预劑剂顆颗噴喷"
    "霧雾塗涂換换補补鈣钙鐵铁維维營营養养減减張张緊紧慮虑擔担憂忧鬱郁煩烦靜静歡欢樂乐愛爱隨随隻只並并將将專专"
    "業业設设計计試试講讲談谈詢询諮咨詳详細细簡简單单記记錄录憶忆須须準准確确選选擇择決决類类別别劇剧厲厉鬆松"
    "陣阵夠够雞鸡魚鱼蝦虾豬猪湯汤癒愈併并戰战頸颈節节腳脚臉脸嚥咽齦龈髮发膽胆腎肾糞粪淚泪驗验號号掛挂約约術术"
    "護护師师員员於于總总剛刚纔才兩两萬万雙双陽阳陰阴雜杂難难豈岂誰谁飽饱餓饿暈晕聞闻嘗尝觸触輸输針针貼贴涼凉"
    "燙烫癱瘫瘓痪顫颤驚惊癇痫夢梦淺浅壞坏鬧闹餵喂濕湿蟲虫蟎螨塵尘黴霉證证証证乾干鹹咸澀涩煙烟濃浓鹽盐膩腻葷荤"
    "糧粮穀谷麥麦堅坚續续啟启喫吃慣惯滅灭蘋苹歷历偽伪憑凭廣广衛卫護护條条貓猫狀状幹干勁劲"
    "鏡镜隱隐脹胀痠酸瘍疡疊叠骯肮髒脏貧贫鋅锌麵面嚇吓痺痹聲声響响閃闪爍烁懷怀婦妇產产寶宝齡龄側侧膠胶碼码訪访態态藍蓝"
    "幣币窩窝潰溃錢钱轉转穩稳彎弯紋纹艙舱燈灯飛飞漲涨網网綁绑鬧闹陳陈舊旧"
    "調调帶带緩缓顧顾習习標标質质優优適适鍛锻鍊炼練练達达濾滤漿浆蓋盖費费買买賣卖價价屬属歸归積积瘋疯鎮镇"
    "廁厕樓楼遠远紀纪級级劃划暫暂戶户團团圍围參参較较懸悬車车禍祸撐撑褲裤"
    "摳抠縫缝廚厨強强東东鮮鲜皸皲蔥葱攝摄資资訊讯軟软"
)
_TABLE = str.maketrans({_PAIRS[i]: _PAIRS[i + 1] for i in range(0, len(_PAIRS), 2)})


def to_simplified(text: str) -> str:
    """``text`` with the traditional characters of the table replaced; same length, same offsets."""
    return text.translate(_TABLE).replace("甚么", "什么")
