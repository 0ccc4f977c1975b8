"""Tests for the turn-type classifier, the CoQ measures and the classify command's JSONL handling."""

from __future__ import annotations

import dataclasses
import io
import json
import time
from collections import Counter
from pathlib import Path

import pytest

from workbench.annotate.classifier import (
    AGENT,
    ORIGINAL_MARKERS,
    TURN_TYPES,
    TurnTypeSuggestion,
    classify,
    classify_rules,
    coq_measures,
    count_questions,
    is_question_original,
)
from workbench.annotate.classifier_eval import classify_command, evaluate, read_records, run_classify
from workbench.annotate.zh_variants import to_simplified
from workbench.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
LABELLED = ROOT / "annotations" / "labelled_replies.jsonl"
HELDOUT = ROOT / "tests" / "data" / "classifier_heldout.jsonl"
# Written after the rules were first frozen; see the classifier note for the scores measured on first contact.
# classifier_s42: 150 replies written blind in session 42; 0.920 on first contact (original markers 0.707),
# then its misses were read and the rules widened (0.987): it is no longer unseen.
# classifier_s43: 150 more written blind in session 43; 0.893 on first contact (original markers 0.787), 1.000
# after its misses were read (requests without 请, traditional characters, rhetorical questions, English).
# classifier_s44: 150 more written blind in session 44 (before its writer read the rules); 0.833 (binary 0.867) first
# contact (original markers 0.553), 0.967 (binary 0.980) after its misses were read (有无, tags, advice asked as a question, self-answered
# questions, reminders). Left: 在…还是… without 是, reproaches (等着中风吗？, 怎么还在吃…呢). Session 62 read 在A还是B as a
# question (疼的位置在肚脐周围还是右下腹; not 在家休息还是最好的, 建议在家观察还是…), which took it to 1.000.
# classifier_s50: 150 more written blind in session 50; 0.913 (binary 0.953) on first contact (original markers 0.860),
# 1.000 after its misses were read (bare yes/no and explanations answering the doctor's own why/how question,
# reproaches, service notices, the noun 的建议, 需要先了解一下您…, 要少…/莫…/比较合适, 可能性大, …才知道).
# classifier_s51: 150 more written blind in session 51; 0.840 (binary 0.927) on first contact (original markers 0.753),
# 1.000 after its misses were read (在吗 and service offers, photo requests, 跟我说说, reproaches, 马上去/赶紧/冰敷,
# 不用管, 多半是/更像, 不然…, Cantonese 唔, how to take the photo asked for, the stock safety net beside a disclaimer).
# classifier_s52: 150 more written blind in session 52; 0.887 (binary 0.933) on first contact (original markers 0.833),
# 1.000 after its misses were read (uploads with a long object, 看完告诉我, the advice another doctor gave as a topic,
# FAQ questions answered at once with the count, 有没有必要, questions for someone else to answer, 您问…, 你怎么能…呢,
# 哪能…, 主要看…, Cantonese 可能係/飲多啲, 请问 after a space, doubled comfort, 可以再次发起咨询, the condition of a question).
# classifier_s52b: 150 more written blind later in session 52, in a model's style too (markdown headings and lists,
# Q:/A:, restated questions); 0.900 (binary 0.920) on first contact (original markers 0.800), 1.000 after its misses
# were read (a section heading's question answered below it, Q:/A:, 告知/透露/请逐条回复, consent tags after advice
# (…，好吗？), a question that another clause says depends on something or is for someone else to answer, 是安全的,
# 没事没事, 需要我再解释一下吗, "anything else", clauses split by spaces after a final particle). session 44's set
# rose 0.980 → 0.987 (有没有效果要看个人体质).
# classifier_s53: 150 more written blind in session 53, in three voices (a TCM doctor, a pharmacist or nurse on a
# follow-up line, a small chatbot: truncated, repetitive, mixed English); 0.913 (binary 0.980) on first contact
# (original markers 0.873), 1.000 after its misses were read (doses, intervals and how a medicine is kept, 适合做…,
# the doctor's own plan 我先帮您预约…, 请向您的主治医生确认…, 观察/监测 as instructions, 请报一下…, a question quoted
# after 很多人会问：, the patient's regimen read back with 对吧？, 另外 after an emoji). Two of its lines were relabelled
# from mixed to suggestion: consent asked for the advice just given (您看行吗？) is part of the advice, as the
# guidelines say and as session 52's second set labelled it.
# classifier_s53b: 150 more written blind later in session 53 (a large chatbot's long polite replies, specialists in
# paediatrics, gynaecology, psychology, skin and teeth, and replies typed on a phone with no punctuation); 0.840
# (binary 0.867) on first contact (original markers 0.693), 1.000 after its misses were read (spaces as commas where
# advice meets a question, 啥/咋 as question words, 咋办 and 什么时候需要… answered at once even after 您好, 常见原因
# 包括… explaining a why, 谁又能…呢, 并不代表你有什么问题, 中不中 as consent, 可以说说话的人, 拍个照 not an X-ray,
# 发我瞅瞅, 清淡饮食, 按说明书吃, 得补, 客气啥, 有什么想聊聊的吗, 每天练习几次 after advice).
# classifier_s53c: 150 more written at the end of session 53 (multi-turn follow-ups, emergency and other specialists'
# imperatives, English terms and whole English replies); 0.953 (binary 0.993) on first contact (original markers
# 0.893), 1.000 after its misses were read (NSAIDs no longer reads as the "AI" of a disclaimer, 可能性很小, 复测,
# 先平躺, 去ER, "I'd add…", "Don't worry" alone is comfort, 多少会肿几天 is "a few days").
# classifier_s54: 150 more written blind in session 54 (dentistry and eyes, counselling, rehabilitation and
# nutrition, Taiwan and Hong Kong written Chinese, voice input and emoji chat, a telemedicine bot's templates);
# 0.907 (binary 0.973) on first contact (original markers 0.840), 1.000 after its misses were read (an emoji ends a
# clause, what a diary records after 记录：…, a form to fill in, 目前正在服用的药物 as a topic, 答案是否定的, 这是药物
# 作用, 会让…, 我问这个是因为…, 唔好意思, 如遇紧急情况请拨打120 beside a disclaimer, 要不要先…？ as advice).
# classifier_s54b: 150 more written blind later in session 54 (obstetrics and paediatrics, elderly care addressed to
# the family, emergency telephone advice, TCM and the pharmacy counter, sexual health and skin, group-chat one-liners);
# 0.873 (binary 0.940) on first contact (original markers 0.867), 1.000 after its misses were read (…容易溢奶 and 会好
# 很多 explain, first aid step by step, a dose or a test as the whole answer, 就停几天, a question in brackets, 你说是不
# 是？ after advice, 能不能…，别一个人硬扛？ across clauses, a diary after 记一下：, a form sent back, 未见明显异常).
# classifier_s54c: 150 more written blind at the end of session 54 (oncology and pain, internet-hospital replies of
# several numbered paragraphs, village doctors in dialect with little punctuation, psychiatry, occupational and sports
# medicine, one-word replies); 0.793 (binary 0.907) on first contact (original markers 0.787), 0.993 after its
# misses were read (a numbered paragraph is no section title, 吃了没得 and 测了好多 ask, a guess with …吧 asks,
# dialects' closing particles, 你看这样行不行 before advice, 是…，还是…？, 为了…的原因 explains nothing, 要不要让…,
# 什么时候开始吃…呢？ answered at once, 起效, 继续目前剂量, 稍等几分钟, 莫客气, a bare 可以/不行). Left: a question
# typed in pinyin.
# classifier_s55: 150 more written blind in session 55 (urology and ENT, diabetes and thyroid follow-ups full of
# numbers, vaccination and travel clinics, Chinese mixed with English, hospital service staff, the patient's words
# quoted back, stiff translated paragraphs, phone typing with typos, conditionals and reproaches, numbered lists and
# tables, one-word and emoji replies); 0.913 (binary 0.947) on first contact (original markers 0.847), 1.000 after its
# misses were read (我看是的 answers the question before it, an FAQ's answer after a dash, 还有其他可以帮您的吗, a
# **初步建议** heading over questions only, 不是早就说了…吗, 最好带上… after a request, a vaccination schedule, a
# diary over numbered lines, 就诊卡号 is a card, 先 check 一下 and follow up, 看是不是… after a test, 能不能…，再观察…？,
# a table of doses, OK？ as consent).
# classifier_s55b: 150 more written blind later in session 55 (gynaecology and fertility, dementia care for a tired
# caregiver, fever clinics, surgery, home blood pressure, addiction counselling, a hesitant intern, a large model's
# replies, Cantonese and Taiwanese Mandarin, voice transcripts, tests at home to report back); 0.853 (binary 0.907)
# on first contact (original markers 0.787), 1.000 after its misses were read (a measurement made to report its
# result is part of the request, …，告诉我 and 都发给我 ask, 如需进一步解释，请告诉我 and 还有什么我可以帮您的吗 offer
# more help, a bold question inside a line is answered below it, 是不是先…比较好 proposes, 这样安排你看行不行 is
# consent, 我只是实习的，不能… leaves the advice to the patient standing, a voice transcript's 嗯然后呢 ends a clause,
# 谁对谁错, 急诊病人, 戒了以后, 回诊, 要调整, more traditional characters).
# classifier_s55c: 150 more written blind at the end of session 55 (night-time paediatric triage, cosmetic
# dermatology, rheumatology, dentistry, classical Chinese-medicine wording, diet coaching with numbers, replies citing
# guidelines and papers, corrections of what patients read online, a private hospital's 亲/哦~ service voice, English
# punctuation and internet abbreviations, advice with a tail in brackets or after an emoji); 0.847 (binary 0.940) on
# first contact (original markers 0.833), 1.000 after its misses were read (宜以…/治宜…/可常服 advise, 何以…？ is
# answered, a why-question explained at once is the doctor's own, 没有科学依据/骗局 and 研究显示 explain, a diet
# checklist's steps advise, what a photo request asks for how to take it (别反光, 自然光下拍) even in the next
# sentence, the items listed after 请补充以下信息： are asked, 别家 is no "don't", …ok? and 很简单吧？ after advice are
# consent, 有需要再来找… and 可以帮到您 are service lines).
# classifier_s56: 150 more written blind in session 56 (eyes and optometry, chemotherapy, sports rehabilitation, the
# pharmacy counter, dialysis, a sexual-health clinic, IVF, falls, a mental-health hotline, rabies exposure, customer
# service, weight-loss coaching; long replies with the one question in the last line, fill-in templates, Cantonese,
# emoji and tilde chat); 0.860 (binary 0.913) on first contact (original markers 0.740), 0.993 after its misses were
# read (要不先…？ proposes, 需要我帮您预约吗？ offers the service, 明白了吧？ checks the advice, a third party's
# question quoted (很多家长问，… / 有人问…，是不是…？), 想吃什么就吃什么, 选什么其实区别不大, a second object of 观察
# after 还有, a form's closing 请填写后回复, 仅供参考…如有不适请及时就医 as boilerplate, a space after 吗 or a tilde ends
# a clause, 急症室, 越早越好, 吃够, 我先说一下…是怎么回事). Left: 明天早上空腹来抽血？ (a question mark on an
# instruction, labelled suggestion; read as asking).
# classifier_s56b: 150 more written blind later in session 56 (emergency triage by phone, geriatrics and many drugs,
# growth and puberty, allergy, ENT, skin photos, travel medicine, occupational health, breastfeeding, quitting smoking,
# wound care, kidney and liver follow-up, hospice talks with a family, an insurance hotline; replies of two to six
# characters, numbered questions without question marks, English abbreviations, dialect); 0.940 (binary 0.967) on
# first contact (original markers 0.827), 1.000 after its misses were read (可能重复了 explains, 压10分钟 and 把…收起来
# and 每周…洗一次 advise, 我得先弄清楚 is the doctor's own step, 吃了没用 explains, 很多家长问…？ quotes them, numbered
# items typed on one line are clauses of their own, a request beside 我看看要不要调药 still asks, 再说怎么避 and
# 下一步就是做… plan).
# classifier_s56c: 150 more written blind at the end of session 56 (cardiology, gastroenterology, endocrinology,
# urology, neurology, psychiatry, gynaecology, vaccination schedules, eczema, casts, infections, sleep, anaesthesia,
# a health assistant's templated answers with headings; questions ending in 呢/吧 without a mark, confirmations,
# telegraphic replies, typos); 0.933 (binary 0.960) on first contact (original markers 0.827), 1.000 after its misses
# were read (要不先…，看看…？ and 要不先…，三天后再测…看看？ propose, 注意到 is noticing, a threshold in a condition
# answers no count, 晚了几天没关系 and 看…怎么样再决定 ask nothing, a vaccination schedule's doses and 按原来的量吃
# advise, 您说的… and 上次让您注意的… are the topic, not advice).
# classifier_s57: 150 more written blind in session 57 (a pharmacist, a TCM doctor, a dentist, a psychiatrist, a
# paediatrician and a nurse on the phone; Cantonese, Sichuanese and northeastern speech, traditional characters,
# English mixed in, numbered and circled lists, one-word replies, questions about a third person); 0.900 (binary 0.940)
# on first contact (original markers 0.787), 1.000 after its misses were read (饭前吃的还是饭后吃的 asks the habit,
# 畀我睇 asks for a picture, 上次复诊到现在 is a time, a diary's lead may end with 复诊时带来, 晚饭能不能早点吃 and
# 是不是该把烟戒了 propose, 要关注的是…有没有 embeds, 哪有那么快 reproaches, 换谁…都 is anyone, 加油，你一定可以的 and
# 还有哪里没看明白的吗 ask nothing of the case, Cantonese 大机会系 and 先食住啲胃药 advise, 这得缝针 and 至少要固定六周
# advise).
# classifier_s57b: 150 more written blind later in session 57 (an internet hospital's GP, an emergency physician, an
# obstetrician, a geriatrician talking to a carer, a nutritionist, a physiotherapist, eyes and ENT, a sexual-health
# counsellor, a large model's formatted replies, a terse senior doctor on a phone, an insurer's nurse line; BP, HR, PRN
# and f/u); 0.940 on first contact, 1.000 after its misses were read (化验单发过来我看下 asks with no 请, 阿莫西林 0.5 tid
# and 每天吃400单位 prescribe, 继续原方案, 回去观察, 少看点手机, 七分饱 advise, a hotline's recording notice is service).
# classifier_s57c: 150 more written blind at the end of session 57 (a township doctor, a pharmacist on the phone,
# urology, dermatology photos, rheumatology, hepatitis B follow-up, a children's dentist, a sleep clinic, stroke
# rehabilitation, occupational health, a template chatbot's 【问题分析】…【建议】, voice dictation with fillers, very
# polite long sentences; Northeastern, Sichuanese, Cantonese and Wu); 0.887 (binary 0.927) on first contact (original
# markers 0.613), 0.993 after its misses were read (a template's 【…】 heads are no advice, a voice transcript typed word
# by word reads as one text with its fillers as commas, an emoji between clauses ends the first, 能…了吧 and 您…是…的吧
# and Wu 伐 ask, Cantonese 有冇 asks and 要戒 advises, 得过几次 and 生过几个 ask, 多少合适呢？一般来说… is answered,
# 让他感到 and 反馈复诊情况 advise nothing, 可以upload一下 asks, 有…问题可以跟我说 is service). Left: A的还是B without
# a question mark (早上起来就这样的还是昨儿个就有点儿).
# classifier_s58: 150 written blind in session 58 (Taiwanese and Hong Kong usage in traditional characters,
# rehabilitation, dentistry, diet, TCM, psychiatry, a pharmacy counter, night nurses, a school doctor, occupational
# health, an app's templates, markdown lists, one-word replies, typos, voice input without punctuation, English mixed
# in); 0.920 (binary 0.940) on first contact (original markers 0.820), 1.000 after its misses were read (Cantonese 似係
# and 先搽 advise, 不如試下…，睇下…會唔會 proposes and tries, 有咩可以幫到你 is service, 能不能把晚饭提前到… proposes
# but 能不能把说明书拍一下发过来 asks, 应该是软组织挫伤 diagnoses, 您说是不是这个理 is a tag, 三个月后 recheck and
# 都要跟上 advise, 请…补充以下信息 asks, a transcript with no punctuation turns at 然后 and …你之前…, 要看一下舌苔 is
# the doctor's need, 这怎么降得下来 reproaches). Then A的还是B without a question mark asks (早上起来就这样的还是昨儿个就
# 有点儿; not 最好的还是…, 吃西药的还是比较多), which also took classifier_s57c to 1.000.
# classifier_s58b: 150 more written blind later in session 58 (a large chatbot's markdown, an emergency dispatcher, an
# obstetrician at night, a paediatric nurse line, an oncologist, a pain clinic, vaccination, stroke follow-up, a
# diabetes educator, CBT, a carers' group, a pharmacist, a mini-program's auto-replies; Sichuanese, Northeastern,
# Cantonese, Wu and Minnan; BP, f/u, PRN); 0.913 (binary 0.973) on first contact (original markers 0.813), 1.000 after
# its misses were read (差别大吗 is no 别, 医生建议您做的肠镜 is the topic, PRN 那个药 is the medicine, CPR's 用力往下压,
# 光靠忍怎么行呢 reproaches, 能不能试着… proposes, 加量, 每周打一次, 隔两周再来, 能撤就撤, 你先下楼…, 比什么都重要 advise,
# 还是一期 is "still", Minnan 逐工着食 advises, Wu 勿客气 is courtesy).
# classifier_s59: 150 written blind in session 59 (paediatrics, obstetrics, psychiatry, dermatology, oncology, TCM,
# dentistry, eyes, rehabilitation, emergency, geriatrics, occupational and sexual health, nutrition, zoonoses; terse
# chat, numbered replies, Cantonese, Sichuanese, Northeastern and Hunan speech, English, traditional characters, emoji
# and typos); 0.940 (binary 0.967) on first contact (original markers 0.740), 1.000 after its misses were read (先暂停,
# 就是要练 and 请把…列一下 with a long object, 几两 and its typo 几俩, 天天熬到两三点，痘痘能好吗 reproaches, 什么情况得
# 马上去医院？ is answered, 可以张嘴拍一张 asks, 您觉得可以吗 is consent, "is common" explains).
# classifier_s59b: 150 more written blind later in session 59 (the same range); 0.887 (binary 0.967) on first contact
# (original markers 0.767), 1.000 after its misses were read (什么时候可以洗澡？ answered at once, 得做根管治疗, 要戴护具
# 六周, 奶量要加上去, 多做, 每天三组, 每天用温盐水漱口三次, 一定放高处, 稳妥些 and 先住院 advise, 建议还是带来面诊 is real
# advice beside 仅供参考, a second object of watching with 是否, 会不会好一点 asks, 早上吃还是晚上吃 offers the choices
# asked about, 按时吃了吧 guesses, Please list… asks, Let's get…, Start with…, raise… advise, "fit reflux" explains).
# classifier_s59c: 150 more written blind at the end of session 59 (a discharge nurse phoning the family, a village
# doctor's voice transcript, a children's dentist, IVF, an anaesthetist's visit, hospice, a team physio, travel
# vaccines, allergy, tele-psychiatry, a chatbot's bullet points, an insurer's nurse line, a field medic, a diabetic-foot
# clinic; Cantonese, Taiwanese, Shanghainese, Northeastern, Sichuanese, Henan and Shandong words); 0.880 (binary
# 0.947) on first contact (original markers 0.753), 1.000 after its misses were read (有…没得 and 还吐哇 ask, Cantonese 咩
# asks (not 有咩随时揾我), 药有没有每天按时吃 asks despite 按时, 您的问题是：… restates it, 止血带 and 以下几点 ask
# nothing, 还是要补, 今晚九点打夜针, 先给你开…, 先在家观察, 超过…就吃, 主要靠防蚊, 带上…, 往前挪, 六点前吃完, 电脑少看看
# and Wu 弗要 advise, …就做做…？ goes on proposing, 可以吧 and 听着没 check the advice, 建议您…就近的医院 is no topic).
# classifier_s60: 150 written blind in session 60 (haematology, oncology, rehabilitation, memory clinics, psychiatry,
# dentistry, breast surgery, Sichuanese speech, English replies, replies typed in toneless pinyin, an empty reply);
# 0.880 (binary 0.960) on first contact (original markers 0.773), 1.000 after its misses were read (接下来要做骨髓穿刺
# plans, a rehabilitation schedule (每小时做10次, 第二周开始练…), 不一定是 and 副作用小 explain, 这个就是颈椎病嘛
# diagnoses, Sichuanese 莫乱停 and 莫一天到晚… advise, 我的意见是 advises and 您看呢 is consent, 要不要考虑…？ and
# 要不要先…，一天三四次？ propose, 不要只发… says how to send what was asked for, 一定可以挺过去的 is comfort, 您这次复查
# 的… is the topic, 主要是谁在带 asks, I'd skip…, "biopsy shows", "benign" and "no surgery is needed" advise, and a
# reply in toneless pinyin is read back into characters). No label changed.
# classifier_s60b: 150 more written blind later in session 60 (an ICU talking to the family, a discharge pharmacist,
# a children's dentist, IVF, sports medicine, a triage desk, psychiatry, diet coaching; Shanghainese, Cantonese with
# English words, Taiwanese, Sichuanese, markdown, one-word and empty replies); 0.893 (binary 0.960) on first contact
# (original markers 0.753), 1.000 after its misses were read (a change already made as a time (药换成…以后，…？,
# 减量以后能睡几个小时) advises nothing where something is asked, while 停了以后要观察 advises; 不如先…？ proposes;
# 把…发来我看一下 and 试一下告诉我…/量一下跟我讲几度 ask; 急诊分诊台 names the desk; 每天继续做, 每年都要打一次, 一样要补,
# 要吃抗生素, 这两天留意一下…, 就带来看看, 早餐加一个鸡蛋 and 先这样吃起来 advise; 这是中耳炎 diagnoses; 烟都戒不掉，血管
# 怎么会好？ reproaches; after advice, 看…有没有… says what it is for). No label changed.
# classifier_s60c: 150 more written blind at the end of session 60; 0.947 (binary 0.980) on first contact (original
# markers 0.793), 1.000 after its misses were read (a change already made as a time advises nothing before a question
# typed without a mark (吸入激素用完以后您有没有漱口); 如需继续咨询请重新发起 offers the service; 先予三仁汤加减七剂
# prescribes; Taiwanese Hokkien 盐爱食较少 advises, and 較, 懸 fold; 每两个小时帮他翻一次身 is a care schedule; I'd like to
# start you on… advises; 要不要试试…，再做几组…？ goes on proposing; …都不复查，胃能受得了吗？ reproaches). No label
# changed.
# classifier_s61: 150 written blind in session 61 (thyroid, obstetrics and gynaecology, newborns and paediatrics,
# dermatology, oncology and chemotherapy, an ICU talking to the family, rehabilitation, cardiology, diabetes, a form to
# fill in, service notices; Cantonese, Northeastern speech, traditional characters, English, emoji, voice chat, an empty
# reply); 0.933 (binary 0.960) on first contact (original markers 0.833), 1.000 after its misses were read (还有其他不清楚
# 的地方吗？ checks the explanation was understood; aim for…, cut down on… and Why not try…? advise; 需要跟您确认一下
# leads a question; after 观察一下宝宝精神状态, 是否嗜睡 is what to watch; 什么时候必须去急诊呢？ is answered at once;
# Cantonese 搽多几次 is "a few more times"; 是不是细菌感染得靠血常规来判断 names the test that answers it; 少去人多的地方,
# 维持现在的剂量 and 三天后再看血糖 advise). No label changed.
# classifier_s61b: 150 more written blind later in session 61 (neurology, rheumatology, urology, psychiatry and
# psychology, endocrinology with English terms, vaccination, dentistry, dialysis, a memory clinic, vertigo, osteoporosis,
# a platform's notices; Shanghainese, Cantonese, Taiwanese Mandarin, Sichuanese and Hunan speech, traditional
# characters, English, emoji); 0.907 (binary 0.960) on first contact (original markers 0.840), 1.000 after its misses
# were read (要连续测一周, 留观30分钟, 拐杖要用满六周, 继续拄着, 要改成糊状食物, 小口慢喂 and 趁早 advise; Why don't we
# start…? and 能不能把…延长到两分钟，用巴氏刷牙法？ propose; Cantonese 唔使开刀 and 做吓…练习 advise; "findings fit with"
# explains; 关键看痒不痒 says what decides; 说了多少遍了 reproaches; a diary's columns after 写一份情绪日记： are what to
# record; a space before B超 ends a clause; 按压胸口的时候会不会更疼 asks; 小点点 is a sign). No label changed.
# classifier_s61c: 150 more written blind at the end of session 61 (hospital pharmacists, a hearing clinic, transplant
# follow-up, a burns unit, child psychiatry, a vaccination hotline, a menopause clinic, pre-operative anaesthesia, smoking
# cessation, a TB programme, a village doctor, an AI assistant's formatted replies; Hakka, Tianjin, Shaanxi, Cantonese and
# Shanghainese speech, traditional characters, English); 0.913 (binary 0.980) on first contact (original markers 0.840),
# 1.000 after its misses were read (Hakka 毋好 and 食足半年, Shaanxi 少咥些 and 再不敢喝咧, Cantonese 即刻返嚟医院, 得打破伤风,
# 越早治疗效果越好 and 要按突发性聋处理 advise; "patches work best with" and "we'll recheck" advise, "taking well" and
# "…, which points to" explain; Hakka 冇 closes a yes/no question; Shanghainese 有啥事体讲好了 offers the service;
# 不舒服的话及时告诉我 is an instruction for later, not a request; 想戒烟是您自己决定的，还是…？ describes an option and
# 戒烟门诊 names a clinic; 什么时候戒都不晚 explains, so 当然戒得掉 answers the question before it). No label changed.
# classifier_s62: 150 written blind in session 62 (a ward pharmacist, obstetrics, newborns, dermatology photos, a
# psychiatry intake, heart failure, diabetes, a bed-side nurse, forms to fill in; Sichuanese, Northeastern and Cantonese
# speech, English); 0.933 (binary 0.987) on first contact (original markers 0.860), 1.000 after its misses were read
# (能不能晚上十一点前放下手机？ proposes; Cantonese 即刻搽 advises and 呢个係湿疹嚟嘅 diagnoses; 这次是病毒感染 and
# 抗生素没有用 explain; 做真菌镜检，确认是不是癣 is what the test settles; 换成谁都会着急的 is comfort, no change to make;
# 今天早上加到40毫克 is a new dose; 今天打针那个地方疼不疼 plans nothing; "doesn't look worrying", "I'd still like a
# dermatologist to…", "keep going with", "let's hold off" and "almost certainly viral" advise or explain). No label
# changed.
# classifier_s62b: 150 more written blind later in session 62 (a consultation platform, dentistry, eyes, sexual health,
# kidneys, TCM, sports injuries, diabetes forms, a platform's notices and auto-replies; Shanghainese, Hunan, Taiwanese
# Mandarin, Malaysian and Singaporean English); measured before any change of this session (the code of b4db35f): 0.960
# (binary 0.980) on first contact (original markers 0.793), 1.000 after its misses were read (Shanghainese 有啥事体伐？
# offers the service; [自动回复]…会在下班后统一回复，请勿重复发送 is a notice; 三天后把空腹血糖发给我 is an instruction for
# later, not a request (but 明天把化验单发给我 still asks); "very common", "go A&E straight away", "most private GPs
# can…", "I increase the amlodipine", "come back in two weeks, ok?" advise). No label changed.
# classifier_s62c: 150 more written blind at the end of session 62 (an emergency dispatcher, a family doctor's phone
# round, ENT, stroke, post-operative care, tube feeding, vaccination schedules, falls, an English GP; internet slang,
# emoji, Australian and British English); 0.933 (binary 0.973) on first contact (original markers 0.873), 1.000 after
# its misses were read (重点观察 advises, and 这两点比拉了几次更要紧 compares, it asks nothing; 小周 想了解一下… asks past a
# space; 欢迎使用在线复诊服务…请稍候 is a notice; 怎么快速判断是不是中风？ is answered; 每年都得打 and 还要再打 advise; 您
# 发来的照片 asks for nothing; "I'll book you in", "on the low side, so try to…", "pop in", "call 111" and "I'd rather he
# came in" advise). The writer flagged three judgement calls, kept as the guideline has them: an empty reply is other,
# 您好，还在线吗？ checks the line (other), and the “中风120” mnemonic's 歪不歪, 能不能平举 are checks to make, under a
# question the reply answers itself (suggestion). No label changed.
# classifier_s63: 150 written blind in session 63 (newborns and infants, pregnancy and breastfeeding, gynaecology, old
# people's care told to the family, children's fevers and falls, forms to fill in, a platform's notices; Henan,
# Northeastern and Beijing speech, tildes, English); 0.913 (binary 0.947) on first contact (original markers 0.733), 1.000 after its
# misses were read (把血常规结果发我一下，主要看血红蛋白 asks, 主要看 saying what the doctor will read in it; 把…给我念一下
# asks; 要不先拿热毛巾敷敷…？ proposes; 这事儿说大不大 is an idiom and 每个月同一角度拍张照片对比 a record to keep; 下次复诊
# 再聊 and 有啥情况您随时说 are courtesy; 请问还在线吗？ checks the line; 哎呀您先别慌 is comfort; 得做OGTT, 先排查… and
# 先得排除… advise; 娃这是出牙呢 explains and Henan 就中 advises; 你问能不能喝中药调理？ repeats the patient's question to
# answer it; after 观察孩子有没有发热, 尿量有没有减少 is a second sign to watch). No label changed.
# classifier_s63b: 150 more written blind later in session 63 (dermatology, eyes, ENT, dentistry, anxiety and depression
# screening, a doctor between operations, courtesy lines; Cantonese, Taiwanese usage in traditional characters); 0.940 (binary 0.973) on first contact
# (original markers 0.820), 1.000 after its misses were read (要做喉镜 and 半年洗一次牙 advise; 晚上八点以后再回复你，可以吗？
# is a service matter, not a question; 能不能先别戴隐形眼镜，改戴框架眼镜？ proposes both; 大多数不用治 advises, 不会致命
# explains; Cantonese 唔係咩大病 is "nothing serious"; 以上建议仅供参考，不过…需要面诊 advises after the turn; 下次复诊见
# is courtesy; 要不要我顺便帮你约…？ offers the service). No label changed.
# classifier_s63c: 150 more written blind at the end of session 63 (diabetes and insulin, dialysis, hypertension, COPD
# and inhalers, post-operative care, travel medicine and fevers after travel, miners' and factory dust, first aid for
# choking, CPR and carbon monoxide, a terse ward round, a desk's notices; emoji and tilde chat, English); 0.900 (binary 0.993) on first contact (original markers 0.827),
# 1.000 after its misses were read (目前服用哪些药物 and 吸入剂 name the patient's own medicine, nothing advised; 谁不想吃点
# 好的呢？ sympathises; 在血压本上写清楚…也顺手记一下 is a log to keep; 站到他背后…向内向上冲击 is first aid; 要加2个单位,
# 盐再少放点, 主动告诉医生旅行史, 停螺内酯, 首先要开窗通风, 把人搬离现场 and 要回来换药 advise; a tilde after 哦 ends a
# clause; 回复可能会慢一些，请您耐心等待 and 已转给…值班医生，请留意消息提醒 are notices; 下次复诊再细聊 is courtesy). No
# label changed.
# classifier_s63d: 120 written blind in session 63 after its first round of rules (knee and hip rehabilitation and
# stroke, a sleep clinic, HPV and infant vaccination, fertility and gynaecology, weight loss and nutrition, men's health,
# a rehabilitation department's templates and notices; spaced phone chat, markdown, English, emoji); 0.942 (binary
# 0.983) on first contact (original markers 0.817), 1.000 after its misses were read (停一会儿再猛吸一口 is a pause in
# breathing, not a drug stopped; 就要马上回来 advises, so 什么时候需要回来复诊呢？ is answered at once; 月经推迟几天和疫苗
# 关系不大 explains; 蛋白粉不能代替正餐 is advice, not a disclaimer's 不能代替面诊; 午睡控制在20分钟以内 and 要抓紧练
# advise; 下周复诊见 is a farewell). No label changed.
# classifier_s63e: 120 more written blind at the same time (fevers and infections, urology and andrology, skin and
# allergy, cardiology, TCM, TB, malaria after travel, courtesy lines; Northeastern, Sichuanese, Shanghainese and
# Cantonese speech, an empty reply); 0.925 (binary 0.967) on first contact (original markers 0.808), 1.000 after its
# misses were read (要不要先把抗过敏药吃上，氯雷他定一天一片？ proposes, a dose with no verb advising; 数一下…多少下，记下来
# is what to record, not asked; 很多人问…会不会传染，其实不会 answers the quoted question; 要慢慢来，至少三个月, 不太像细菌
# 感染，抗生素先不用吃, 利伐沙班要开始吃了 and 以肾阳虚为主 advise or explain; Sichuanese 有啥子再找我 and 您还有哪方面想
# 了解的吗？ offer the service). No label changed.
# classifier_s67, s67b, s67c, s67d: 480 written blind in session 67 (ophthalmology, stroke rehabilitation,
# breastfeeding, a dialysis diet, Cantonese; orthodontics, an allergy clinic, travel medicine, polypharmacy, terse
# telehealth chat; psychiatry, oncology, PrEP and hepatitis B, a TCM doctor in semi-classical style, a triage nurse;
# cardiology, urology, occupational medicine, an anaesthesia clinic, a school doctor, Northeastern and Shanghainese
# speech). First contact, neither the rules nor the model having seen them: rules 0.958 / 0.975 / 0.892 / 0.942,
# the blend that classify runs 1.000 / 0.992 / 0.967 / 1.000 (the model alone 0.958 over the 480). The blend's five
# misses are classical 否 questions a TCM doctor asks (汝家用何锅煎煮, 经水按期而至否) and 多喝水 多排尿 现在尿是啥颜色.
# No label changed; the learned model was then retrained with them.
# classifier_s68, s68b, s68c, s68d: 480 written blind in session 68 (dermatology, sleep apnoea, sports medicine, a
# pharmacist, Sichuanese; gastroenterology, ENT, knee rehabilitation, gestational diabetes, Taiwanese Mandarin;
# endocrinology, vaccinations, palliative care, men's health, an aesthetic clinic, formal style and English
# abbreviations; antenatal care, a pain clinic, addiction medicine, a night paediatric service, Minnan and Wu
# flavour, curt one-liners). First contact, neither the rules nor the model having seen them: rules 0.900 / 0.942 /
# 0.925 / 0.933, the blend that classify runs 0.967 / 1.000 / 0.983 / 0.975 (0.981; the model alone 0.969 over the
# 480). The blend's nine misses include requests for information without a question mark (敬请告知…并请注明是否…,
# 请填写…回复给我), 是不是 with no question mark (早上一睁眼是不是就想先来一口), Sichuanese 嘛 (你是打球伤到的嘛), and
# a question then advice read as advice alone (跑鞋穿了多久了？一般跑个600到800公里就该换了). No label changed; the
# learned model was then retrained with them.
# classifier_s69, s69b, s69c, s69d: 480 written blind in session 69 (ophthalmology, a travel clinic, urology, a
# school doctor, Northeastern dialect; psychiatry, geriatrics, an integrated TCM clinic, a village doctor, written
# Cantonese; infectious diseases, nephrology, a nurse triage line, occupational medicine, internet slang and pinyin
# abbreviations; cardiology, postpartum care, emergency triage, a dentist, Shandong and Hebei flavour, numbered
# lists). First contact, neither the rules nor the model having seen them: rules 0.892 / 0.942 / 0.925 / 0.950, the
# blend that classify runs 0.942 / 0.967 / 0.975 / 0.975 (0.965; the model alone 0.950 over the 480). The blend's
# seventeen misses are mostly mixed replies read as one half: a question after advice with no question mark (疼的时候
# 往哪窜 到没到大腿根, 一天点几回药水), advice before a question read as question alone (…以前有没有得过抑郁症或者癫痫？
# 有的话我给您换一种药), voice-to-text replies with fillers, and slang asides (xswl 你这表情包绝了😂). No label changed;
# the learned model was then retrained with them.
# classifier_s70, s70b, s70c, s70d: 480 written blind in session 70 (dermatology, sports medicine, an allergy clinic,
# a cruise-ship doctor, Changsha flavour; endocrinology, well-child care, ENT, a pharmacist, Taiwanese Mandarin;
# gastroenterology, oncology follow-up, palliative care, a platform's customer-service style, Tianjin flavour;
# orthopaedics, antenatal care, sexual health, an army camp doctor, Wuhan flavour). First contact, neither the rules
# nor the model having seen them: rules 0.950 / 0.933 / 0.917 / 0.942, the blend 0.983 / 0.992 / 0.992 / 0.992
# (0.990; the model alone 0.975). No label changed; the learned model was then retrained with them.
# classifier_s71: 120 written blind in session 71 (dialysis, gout, dementia caregivers, sports injuries, a community
# pharmacist); its sibling classifier_s71b (postpartum and breastfeeding, insomnia and anxiety, travel medicine, knee
# and hip rehabilitation, weight loss) is held out, scored by its accuracy alone and left out of these tests. First
# contact (main ca2e86b): rules 0.917 (s71b 0.942), the blend 0.975 (s71b 1.000); after the rules' ten misses were read
# (CASES_S71) and more advice from sessions 65-70's misses (CASES_S71_ADVICE_*): rules 1.000 (s71b 0.950), the blend
# 0.983 (s71b 1.000), the model not retrained. No label changed.
# classifier_s72: 120 written blind in session 72 (ophthalmology, ENT, children's vaccines, acne, thyroid); its sibling
# classifier_s72b (urology, allergy, oncology follow-up, dentistry, adolescent health) is held out, scored by its
# accuracy alone (test_held_out_session_72_set) and left out of these tests. First contact (main d2fb265): rules 0.958
# (s72b 0.950), the blend 1.000 (s72b 1.000); after the rules' five misses were read (CASES_S72: advice before a
# question read as the question alone, and 多少人…就睡不着 read as asked): rules 1.000 (s72b 0.950), the blend 1.000
# (s72b 1.000), the model not retrained; the other sets' rules 10,249 -> 10,250 of 10,356 right. No label changed.
LATER_SETS = [ROOT / "tests" / "data" / "classifier_fresh.jsonl", ROOT / "tests" / "data" / "classifier_final.jsonl",
              ROOT / "tests" / "data" / "classifier_s42.jsonl", ROOT / "tests" / "data" / "classifier_s43.jsonl",
              ROOT / "tests" / "data" / "classifier_s44.jsonl", ROOT / "tests" / "data" / "classifier_s50.jsonl",
              ROOT / "tests" / "data" / "classifier_s51.jsonl", ROOT / "tests" / "data" / "classifier_s52.jsonl",
              ROOT / "tests" / "data" / "classifier_s52b.jsonl", ROOT / "tests" / "data" / "classifier_s53.jsonl",
              ROOT / "tests" / "data" / "classifier_s53b.jsonl", ROOT / "tests" / "data" / "classifier_s53c.jsonl",
              ROOT / "tests" / "data" / "classifier_s54.jsonl", ROOT / "tests" / "data" / "classifier_s54b.jsonl",
              ROOT / "tests" / "data" / "classifier_s54c.jsonl", ROOT / "tests" / "data" / "classifier_s55.jsonl",
              ROOT / "tests" / "data" / "classifier_s55b.jsonl", ROOT / "tests" / "data" / "classifier_s55c.jsonl",
              ROOT / "tests" / "data" / "classifier_s56.jsonl", ROOT / "tests" / "data" / "classifier_s56b.jsonl",
              ROOT / "tests" / "data" / "classifier_s56c.jsonl", ROOT / "tests" / "data" / "classifier_s57.jsonl",
              ROOT / "tests" / "data" / "classifier_s57b.jsonl", ROOT / "tests" / "data" / "classifier_s57c.jsonl",
              ROOT / "tests" / "data" / "classifier_s58.jsonl", ROOT / "tests" / "data" / "classifier_s58b.jsonl",
              ROOT / "tests" / "data" / "classifier_s59.jsonl", ROOT / "tests" / "data" / "classifier_s59b.jsonl",
              ROOT / "tests" / "data" / "classifier_s59c.jsonl", ROOT / "tests" / "data" / "classifier_s60.jsonl",
              ROOT / "tests" / "data" / "classifier_s60b.jsonl", ROOT / "tests" / "data" / "classifier_s60c.jsonl",
              ROOT / "tests" / "data" / "classifier_s61.jsonl", ROOT / "tests" / "data" / "classifier_s61b.jsonl",
              ROOT / "tests" / "data" / "classifier_s61c.jsonl", ROOT / "tests" / "data" / "classifier_s62.jsonl",
              ROOT / "tests" / "data" / "classifier_s62b.jsonl", ROOT / "tests" / "data" / "classifier_s62c.jsonl",
              ROOT / "tests" / "data" / "classifier_s63.jsonl", ROOT / "tests" / "data" / "classifier_s63b.jsonl",
              ROOT / "tests" / "data" / "classifier_s63c.jsonl", ROOT / "tests" / "data" / "classifier_s63d.jsonl",
              ROOT / "tests" / "data" / "classifier_s63e.jsonl", ROOT / "tests" / "data" / "classifier_s64.jsonl",
              ROOT / "tests" / "data" / "classifier_s64b.jsonl", ROOT / "tests" / "data" / "classifier_s64c.jsonl",
              ROOT / "tests" / "data" / "classifier_s65.jsonl", ROOT / "tests" / "data" / "classifier_s65b.jsonl",
              ROOT / "tests" / "data" / "classifier_s65c.jsonl",
              ROOT / "tests" / "data" / "classifier_s65d.jsonl", ROOT / "tests" / "data" / "classifier_s65e.jsonl",
              ROOT / "tests" / "data" / "classifier_s65f.jsonl",
              ROOT / "tests" / "data" / "classifier_s66.jsonl", ROOT / "tests" / "data" / "classifier_s66b.jsonl",
              ROOT / "tests" / "data" / "classifier_s66c.jsonl",
              ROOT / "tests" / "data" / "classifier_s66d.jsonl", ROOT / "tests" / "data" / "classifier_s66e.jsonl",
              ROOT / "tests" / "data" / "classifier_s66f.jsonl",
              ROOT / "tests" / "data" / "classifier_s67.jsonl", ROOT / "tests" / "data" / "classifier_s67b.jsonl",
              ROOT / "tests" / "data" / "classifier_s67c.jsonl", ROOT / "tests" / "data" / "classifier_s67d.jsonl",
              ROOT / "tests" / "data" / "classifier_s68.jsonl", ROOT / "tests" / "data" / "classifier_s68b.jsonl",
              ROOT / "tests" / "data" / "classifier_s68c.jsonl", ROOT / "tests" / "data" / "classifier_s68d.jsonl",
              ROOT / "tests" / "data" / "classifier_s69.jsonl", ROOT / "tests" / "data" / "classifier_s69b.jsonl",
              ROOT / "tests" / "data" / "classifier_s69c.jsonl", ROOT / "tests" / "data" / "classifier_s69d.jsonl",
              ROOT / "tests" / "data" / "classifier_s70.jsonl", ROOT / "tests" / "data" / "classifier_s70b.jsonl",
              ROOT / "tests" / "data" / "classifier_s70c.jsonl", ROOT / "tests" / "data" / "classifier_s70d.jsonl",
              ROOT / "tests" / "data" / "classifier_s71.jsonl", ROOT / "tests" / "data" / "classifier_s72.jsonl"]
# Held out: only its accuracy is read (test_held_out_session_72_set), never its texts or its misses.
HELD_OUT_S72B = ROOT / "tests" / "data" / "classifier_s72b.jsonl"


def _load(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return list(read_records(f))


# The look-alike cases below test the rule layer (classify_rules): the blend of classify may overrule it on
# some of them, and the blend is tested on whole sets (test_accuracy_beats_original_markers).

# ---------------------------------------------------------------- the original baseline


def test_original_markers_are_the_hybrids_list() -> None:
    assert ORIGINAL_MARKERS == ("？", "?", "吗", "呢", "么", "什么", "有没有", "多少", "几次", "怎么样")


def test_original_marker_test_is_substring_membership() -> None:
    assert is_question_original("咳嗽多久了？")
    assert is_question_original("那么建议多休息。")  # the false positive we set out to fix: 么 in 那么
    assert not is_question_original("建议多休息。")
    assert is_question_original("abc", markers=("b",))
    assert not is_question_original("abc", markers=())


# ---------------------------------------------------------------- hard cases, each with its reason

HARD_CASES = [
    # advice that the marker list calls a question
    ("那么这种情况下，建议您先去医院做一个血常规检查。", "suggestion"),  # 那么 is a connective
    ("很多家长会问孩子发烧了怎么办，其实物理降温就可以了。", "suggestion"),  # reported question
    ("多少有点担心是正常的，这个结节一般是良性的。", "suggestion"),  # 多少 = "somewhat"
    ("如果疼得厉害呢，可以先吃一片止痛药。", "suggestion"),  # 呢 marks a topic pause
    ("不管怎么样，先把血糖控制好是最重要的。", "suggestion"),  # 怎么样 inside 不管
    ("这种情况不能用吗啡类的止痛药。", "suggestion"),  # 吗 inside the drug name 吗啡
    ("什么时候需要去医院呢？如果出现呼吸困难，就要马上就医。", "suggestion"),  # self-answered
    ("建议做个B超，明确有没有结石。", "suggestion"),  # embedded question is an instruction
    # questions without a question mark
    ("您之前有没有做过胃镜检查", "question"),
    ("请描述一下疼痛的部位和性质。", "question"),  # a request for information
    ("您平时血压一般控制在多少", "question"),
    ("平时抽烟不", "question"),  # colloquial yes/no question
    # mixed: advice plus a real question
    ("建议先量一下体温。请问发烧有几天了？", "mixed"),
    ("可以先冷敷，扭伤是什么时候发生的", "mixed"),
    ("怎么办？先用清水冲洗眼睛。溅进去的是什么液体？", "mixed"),
    # other
    ("以上建议仅供参考，不能代替医生面诊。", "other"),  # a disclaimer is not advice
    ("您好，有什么可以帮您的吗？", "other"),  # a service question is not CoQ
    ("不客气，这是我应该做的。", "other"),
    ("嗯嗯，好的呢。", "other"),
    ("", "other"),
]
# Session 42 (a blind set's misses, in new sentences): 没有 after 过/有 earlier in the clause, requests,
# A-not-A of two characters and after an advice-looking word, "what is good to eat" answered at once.
CASES_S42 = [
    ("你测过体温没有", "question"),
    ("最近还有别的不舒服没有", "question"),
    ("麻烦把检查报告拍给我看看", "question"),
    ("说一下你的症状", "question"),
    ("我想了解一下孩子平时的饮食", "question"),
    ("按压的时候痛不痛", "question"),
    ("先用冰袋冷敷，肿得厉害不厉害", "mixed"),
    ("请问还有什么想问的吗", "other"),
    ("其实关键在于控制饮食", "suggestion"),
    ("不是什么大毛病，注意休息", "suggestion"),
    ("糖尿病人喝什么好呢，白开水最好", "suggestion"),
    ("发烧几天了，吃什么好呢，多喝水", "mixed"),
    ("吃了药没有效果", "other"),
]

# Session 43 (the classes of a blind set's misses, in new sentences): requests for information without 请,
# traditional characters, questions that want no answer, English replies, inhalers and drops, a habitual
# 一般 inside the question, an instruction to write down "what"; each pair keeps a look-alike that must not move.
CASES_S43 = [
    ("讲讲你这次发病的经过", "question"),
    ("说下孩子最近吃奶的情况", "question"),
    ("把最近三次的血糖值发给我", "question"),
    ("我想知道您晚上一般几点睡", "question"),
    ("好的，我记下了。", "other"),
    ("發燒幾天了", "question"),
    ("這個情況建議儘快去醫院檢查。", "suggestion"),
    ("可能是腸胃炎，飲食要清淡。有沒有拉肚子？", "mixed"),
    ("难道不吃药病就能自己好吗？还是要按时服药。", "suggestion"),
    ("这不就是吃辣吃多了吗？少吃点辛辣的就行。", "suggestion"),
    ("何必硬扛呢，疼得厉害就吃片止痛药。", "suggestion"),
    ("谁也不能保证不复发，所以要定期复查。", "suggestion"),
    ("谁陪你一起来的？", "question"),
    ("You should drink more water and rest.", "suggestion"),
    ("This is probably a viral infection. It usually gets better in a week.", "suggestion"),
    ("Avoid spicy food. Have you lost any weight?", "mixed"),
    ("Tell me when the pain started", "question"),
    ("Thank you, take care.", "other"),
    ("体温38.5度以上可以吃退烧药。", "suggestion"),
    ("先吸两喷布地奈德，晚上还咳吗？", "mixed"),
    ("头晕一般在什么时候发生", "question"),
    ("不用太担心，一般几天就会缓解。", "suggestion"),
    ("孩子一般多久复查要看情况。", "suggestion"),
    ("记录一下每天吃了什么、什么时候发作，复诊时带来。", "suggestion"),
]


# Session 44 (the classes of a blind set's misses, in new sentences); each class keeps a look-alike.
CASES_S44 = [
    # 有无, the written 有没有; 几 + 类/级/期/型; a tag asking to confirm; the polite 不知道您…
    ("有无发热寒战", "question"),
    ("建议复查，观察有无出血", "suggestion"),
    ("乳腺结节报告上是几级", "question"),
    ("你的意思是一吃油腻就拉肚子，对吧", "question"),
    ("不知道您最近有没有量过血压", "question"),
    ("不知道您有没有发现，熬夜以后更容易头痛，所以一定要早睡。", "suggestion"),
    # requests for what the doctor needs to see or know, without 请 or after 方便的话
    ("把化验单拍下来发过来我看看", "question"),
    ("把皮疹的照片发几张给我", "question"),
    ("告诉我一下宝宝现在多重", "question"),
    ("有空的话讲讲你平时的作息", "question"),
    # advice asked as a question (why not / could you + an advised action), 谁说…, 能不X吗, a question the doctor
    # answers at once (是的，…), a question that is the subject of a statement (…要看/…才知道)
    ("何不把晚饭提前一点？睡前三小时不要进食", "suggestion"),
    ("为什么不按时吃药呢？血压就是这样升上去的", "suggestion"),
    ("能不能少吃点甜的？对血糖有好处", "suggestion"),
    ("晚上能不能平躺？", "question"),
    ("为什么不想吃饭？", "question"),
    ("谁说发烧一定要输液？多喝水多休息就行", "suggestion"),
    ("天天熬夜能不长痘吗？早点睡就好了", "suggestion"),
    ("会不会传染给家人？会的，所以最好分开用餐具", "suggestion"),
    ("会不会传染给家人？", "question"),
    ("管不管用得吃一周才知道，先坚持吃", "suggestion"),
    # a reminder (记得…) and what must come first (要先…) are advice; an English offer of help is small talk
    ("记得睡前把药吃了", "suggestion"),
    ("我记得你上次说过头痛", "other"),
    ("你还记得上次吃的什么药吗", "question"),
    ("腹痛得先排除阑尾炎，你右下腹按着疼吗", "mixed"),
    ("How may I help you today?", "other"),
]


# Written after the session-50 misses were read, none taken from that set: each rule, and what it must leave alone.
CASES_S50 = [
    # self-answered: a bare yes/no, or an explanation right after the doctor's own why/how question
    ("感冒了能喝酒吗？不能。酒精会加重脱水，这几天先别喝。", "suggestion"),
    ("孩子发烧要不要捂汗？不要，捂汗容易高热惊厥，应该少穿点散热。", "suggestion"),
    ("你的血压为什么早上高呢？主要是晨起交感神经兴奋，降压药最好早上起床就吃。", "suggestion"),
    ("怎么区分是病毒还是细菌感染呢？一般看血常规，白细胞高多半是细菌。", "suggestion"),
    ("空腹血糖多少才算正常？一般3.9到6.1之间。", "suggestion"),
    ("你为什么把药停了？", "question"),  # asked of the patient, nobody answers it
    ("降压药为什么停了？停了几天了？", "question"),
    # reproach urges, it asks nothing
    ("血压都两百了还不吃药，等着中风吗？今天就去医院。", "suggestion"),
    ("都疼成这样了还等什么，马上去急诊。", "suggestion"),
    ("你现在在等什么检查结果？", "question"),
    # service notices and comfort
    ("已收到您的化验单，医生会尽快回复。", "other"),
    ("别怕呀，有我在呢", "other"),
    ("不要紧张哈", "other"),
    # the noun 建议 gives no advice; 需要先了解一下… asks
    ("为了给出准确的建议，我需要先了解一下孩子的体重。", "question"),
    ("医生的建议是多喝水、多休息。", "suggestion"),
    # advice forms
    ("平时要少吃甜食，多走路。", "suggestion"),
    ("莫熬夜了，早点睡。", "suggestion"),
    ("莫西沙星吃了几天了？", "question"),  # 莫 in a drug name
    ("先保守治疗两周比较稳妥。", "suggestion"),
    ("哪种方案比较合适，要等片子出来再说。", "suggestion"),
    # explanation forms
    ("结石的可能性比较大，得做个B超才知道。平时喝水多吗？", "mixed"),
    ("是不是骨折得拍片才能确定。", "suggestion"),
]


# Written after the session-51 misses were read, none taken from that set: each rule, and what it must leave alone.
CASES_S51 = [
    # checking the line and offering the service are no Chain of Questioning
    ("医生还在线吗？", "other"),
    ("在不在？", "other"),
    ("你还在吃那个药吗？", "question"),  # 还在 + a predicate asks
    ("有什么需要咨询的可以直接说。", "other"),
    ("后面有不明白的随时问我。", "other"),
    # requests: a photo for the doctor, 跟我说说, 把…告诉我
    ("发几张皮疹的照片过来", "question"),
    ("跟我讲讲头痛是怎么开始的", "question"),
    ("把孩子的体温告诉我", "question"),
    ("我把化验单照片发给您了", "other"),  # the patient's own sending
    ("去拍个片子看看有没有骨折。", "suggestion"),  # 拍片 is an X-ray, advice
    ("拍一张给我，最好白天在窗边拍。", "question"),  # how to take the photo
    # reproaches and "how could it not"
    ("怎么可能不痒呢，湿疹就是会痒，按时涂药。", "suggestion"),
    ("您怎么还在熬夜呢，早点睡。", "suggestion"),
    # advice forms
    ("得赶紧去医院。", "suggestion"),
    ("先冰敷二十分钟。", "suggestion"),
    ("这个不用处理，过几天自己会好。", "suggestion"),
    ("疗程要用足，别自己停药。", "suggestion"),
    ("每天快走半小时。", "suggestion"),
    ("唔好食辣嘢。", "suggestion"),
    ("咳唔咳？", "question"),
    # explanation forms
    ("多半是神经性皮炎，你抓得厉害吗？", "mixed"),
    ("要不要吃药不是看这一次的结果，等复查再定。", "suggestion"),
    # stock safety net beside a disclaimer; beside real advice it stays advice
    ("以上内容仅供参考。如症状加重，请及时就医。", "other"),
    ("考虑是胃炎，先吃奥美拉唑。如症状没有缓解，请及时就医。", "suggestion"),
]


CASES_S52 = [
    # requests: a long object before the upload; telling what the patient was asked to look at
    ("请把上次住院的出院小结和用药清单拍照上传一下", "question"),
    ("量好了告诉我。", "question"),
    ("有问题随时告诉我。", "other"),
    # advice another doctor gave is the topic of the question
    ("上次医生建议你吃的那个药，吃了没有？", "question"),
    ("建议你做个胃镜，之前做过吗？", "mixed"),
    # FAQ style: the count asked and given at once; the patient's history (多久了) is asked
    ("一次吃几片？成人一次两片，一天三次。", "suggestion"),
    ("咳了多久了？先多喝温水。", "mixed"),
    ("有没有必要住院？您这个情况没有必要，在家观察就行。", "suggestion"),
    # a question for someone else to answer, or the patient's question repeated
    ("去了以后问问药师饭前还是饭后吃。", "suggestion"),
    ("您刚才问能不能喝酒：吃头孢期间一滴都不能喝。", "suggestion"),
    # reproaches and impossibilities
    ("你怎么能让孩子吃成人药呢？赶紧停了。", "suggestion"),
    ("哪会一下子就好呢，慢慢养吧。", "suggestion"),
    # what a decision depends on is an explanation
    ("做不做手术还得看片子。疼了多久了？", "mixed"),
    # Cantonese advice; unpunctuated chat with 请问 after a space; a tag question after a name stays one clause
    ("可能係濕疹，少食煎炸嘢。", "suggestion"),
    ("先吃着药 请问最近睡得好吗", "mixed"),
    ("复诊医生是 欧阳娜娜 吗", "question"),
    # comfort and the end of a consultation
    ("别急别急", "other"),
    ("如需帮助可以再次发起咨询。", "other"),
    # the condition of a question is not advice; advice in a condition before a question still is
    ("要是蹲下再站起来，会不会头晕？", "question"),
    ("如果还疼就先吃片布洛芬，现在体温多少？", "mixed"),
    # when the medicine is taken; not what the patient did in the evening
    ("每天早上空腹吃，和早饭隔开半小时。", "suggestion"),
    ("昨天晚上用热水泡了脚。", "other"),
]


CASES_S52B = [
    # a model's section headings: a question there titles the answer below it; a bold question alone still asks
    ("## 常见问题\n\n**一、要不要吃药？**\n一般不需要，多喝水即可。", "suggestion"),
    ("**请问孩子多大了？**", "question"),
    ("Q：能喝酒吗？\nA：服药期间不要喝酒。", "suggestion"),
    # consent to what was advised; a request with a consent tag still asks
    ("先拍个片子，好吗？", "suggestion"),
    ("发张照片给我看看，可以吗？", "question"),
    # requests for information
    ("烦请告知孩子最近一次的体温。", "question"),
    ("需要补充以下信息：发病时间、部位。", "question"),
    # what decides the question, or who answers it
    ("能不能打疫苗，你可以问问社区医院的医生。", "suggestion"),
    ("是不是过敏，要看接触什么之后起的。", "suggestion"),
    # explanations, service talk, repetitions
    ("这个药是安全的，放心用。", "suggestion"),
    ("没有没有，不是这个意思", "other"),
    ("好好好 不用客气", "other"),
    ("Is there anything else you want to ask?", "other"),
    # unpunctuated chat split after a final particle
    ("可能是着凉了 多休息 还咳嗽吗", "mixed"),
]


CASES_S53 = [
    # doses, intervals and keeping a medicine: advice with no advice word
    ("对乙酰氨基酚一次10毫升，两次之间至少隔4小时。", "suggestion"),
    ("这个滴眼液开封后一个月内用完，放在阴凉处。", "suggestion"),
    ("胰岛素笔芯没开封的要冷藏保存。", "suggestion"),
    ("漏服了不用补，下次按时吃。", "suggestion"),
    ("二甲双胍每天早上空腹吃可能胃不舒服，改到饭后半小时吃。", "suggestion"),
    # what suits the patient, the doctor's own plan, another doctor to ask, instructions to watch
    ("你这种体质适合用温和一点的方子。", "suggestion"),
    ("我先给你开三天的药，吃完再来。", "suggestion"),
    ("请跟开药的医生确认是否要减量，我们这边不能改。", "suggestion"),
    ("监测一下晚上的血压", "suggestion"),
    # requests for information, with or without a question mark
    ("麻烦报一下您的住院号", "question"),
    ("请念一下药盒上的名字", "question"),
    # a quoted question answered by the doctor; a regimen read back to confirm it
    ("常有人问：艾灸能天天做吗？其实一周两三次就够了。", "suggestion"),
    ("你现在是阿司匹林每天一片，对吗？", "question"),
    ("你现在是阿司匹林每天一片，对吗？建议饭后吃。", "mixed"),
    # consent to the advice just given (您看行吗) is part of it; 另外 after an emoji opens a question
    ("先做个心电图，您看行吗？", "suggestion"),
    ("先吃点清淡的😊 另外你拉肚子几次了", "mixed"),
]


CASES_S53B = [
    # a phone-typed reply: spaces separate advice from a question, not a name from its particle
    ("多喝温水 烧到几度了", "mixed"),
    ("先停了那个药 皮疹还痒不", "mixed"),
    ("复诊医生是 欧阳娜娜 吗", "question"),
    # colloquial question words; 咋办 answered at once
    ("孩子吃的啥奶粉", "question"),
    ("咋回事", "question"),
    ("咋办？先冰敷 别揉", "suggestion"),
    # answered at once after a greeting; why, then its causes
    ("您好，什么时候需要复查呢？一般三个月后复查一次B超。", "suggestion"),
    ("为什么会反复长痘呢？常见原因包括熬夜、压力大。建议规律作息。", "suggestion"),
    # rhetorical and negated indefinites
    ("谁又能保证一辈子不生病呢？定期体检最重要。", "suggestion"),
    ("这并不代表你有什么问题，是正常的。", "suggestion"),
    # consent by dialect after advice; a request for a photo with it stays a question
    ("先抹三天药膏 中不中", "suggestion"),
    ("脚上拍个照发我瞅瞅 中不中", "question"),
    # advice with no advice word
    ("按说明书吃，过了38.5度再吃", "suggestion"),
    ("缺铁得补", "suggestion"),
    # service talk
    ("客气啥", "other"),
    ("今天有什么想聊聊的吗？", "other"),
]


CASES_S54 = [
    ("先别慌🙏 孩子抽筋以后先让他侧躺 别往嘴里塞东西😥 现在醒过来了吗？", "mixed"),  # an emoji ends a clause
    ("好的 片子我看了 腰椎间盘有点突出 先做理疗 腿麻不麻", "mixed"),
    ("请每天记录：吃了什么、吃了多少、什么时候吃的。", "suggestion"),  # what to record, not questions
    ("请补充以下信息：\n1. 症状开始的时间\n2. 目前正在服用的药物", "question"),
    ("## 基本信息\n- **年龄**：\n- **性别**：\n\n请逐项填写后发送。", "question"),
    ("答案是否定的，HPV感染大多能被免疫系统清除。", "suggestion"),
    ("您是否定期复查？", "question"),
    ("散瞳后会怕光，这是药物作用，孩子几岁了？", "mixed"),
    ("你有没有想过伤害自己？我问这个是因为关心你的安全。", "question"),
    ("唔好意思，我哋今日休息。", "other"),
    ("**免责声明** 本平台回复仅供参考。如遇紧急情况，请拨打120。", "other"),
    ("要不要先用弹力绷带包一下？现在肿得厉害吗？", "mixed"),  # advice asked as a question, then a real one
    ("你要看医生。", "suggestion"),
    ("你要看医生吗？", "question"),
]


CASES_S54B = [
    ("刚吃完奶就躺平容易溢奶，喂完竖抱15分钟会好很多。吐的是奶还是黄绿色的？", "mixed"),
    ("是入睡难还是容易早醒？", "question"),  # 容易 describing the symptom asked
    ("把孩子脸朝下趴在你前臂上，用掌根拍5下。东西出来了没有？", "mixed"),
    ("2.5ml", "suggestion"),
    ("血常规+CRP，再加个尿常规", "suggestion"),
    ("出现刺痛就停几天，用点保湿霜。", "suggestion"),  # 就停几天: a few days, not how many
    ("建议先做个腹部B超看看（之前做过吗？）。", "mixed"),
    ("少喝点酒、早点睡，血压自然会好一些，你说是不是？", "suggestion"),
    ("您也要注意休息，能不能和家里其他人排个班，别一个人硬扛？", "suggestion"),
    ("能不能视频看看", "question"),  # a request with no advice after it
    ("请家属每天帮老人记一下：早晚血压，脚肿不肿，晚上能不能平躺着睡。", "suggestion"),
    ("麻烦您把这一周的血压填进去，周日前拍照发回给我。", "question"),
    ("@王女士 麻烦把化验单拍清楚一点再发一次", "question"),
    ("宝妈别着急，我在呢，咱们一步一步来看。", "other"),
    ("恭喜顺利生产！母子平安就好，辛苦了。", "other"),
    ("您好，我是今天值班的张医生，请问有什么需要帮忙的？", "other"),
    ("Your CT looks fine，没看到明显出血。头晕的时候会不会想吐？", "mixed"),
]


CASES_S54C = [
    ("三、有一个情况需要您告诉我：最近有没有大小便控制不住？", "question"),  # a numbered paragraph, not a title
    ("老汉儿的血压药这几天按时吃了没得", "question"),
    ("婶子你今早上血糖测了好多 是空腹测的哈", "question"),
    ("县医院CT结果出来了 不要紧张 半年后再去照一回 一天抽好多根", "mixed"),
    ("人也瘦了好多。", "other"),  # 好多 "a lot", not "how many"
    ("发烧应该没超过三天吧", "question"),
    ("差不多两个月了吧。", "other"),
    ("你看这样行不行，先把药减到半片，观察一周再说。", "suggestion"),
    ("你说“吃了药还是痛”，是吃完一点都没缓解，还是缓解一两个小时又痛起来？", "question"),
    ("为了更准确地判断您头痛的原因，麻烦您按以下几点补充一下：部位、性质。", "question"),
    ("在给出建议之前需要先了解几项信息：您多大年纪？", "question"),
    ("您要不要让家里一起吃饭的人也查一下呼气试验？", "suggestion"),
    ("要不要去急诊？", "question"),  # asked by a patient as often: only 要不要先/让/试试 propose
    ("那么什么时候开始吃降尿酸药呢？一般等急性发作缓解2到4周后再开始。", "suggestion"),
    ("芬太尼贴剂贴上后要12小时才起效，第一天还要继续吃原来的止痛片。贴的地方有没有发红？", "mixed"),
    ("收到您的MRI片子了，请稍等几分钟。", "other"),
    ("莫客气哈 有啥子事再打电话", "other"),
    ("可以", "other"),
    ("明天来", "suggestion"),
    ("阿莫西林克拉维酸钾一天吃几次", "question"),  # 莫 inside a drug's name
]


CASES_S55 = [
    ("你这个是不是着凉引起的？我看是的，症状都对得上，多休息，喝点姜汤，两三天会好。", "suggestion"),
    ("还有其他可以帮您的吗？", "other"),
    ("**初步建议**\n为了判断下一步怎么处理，请先回答几个问题：\n1. 疼痛是持续的还是一阵一阵的？\n2. 有没有发烧？",
     "question"),  # the heading names the section; only questions stand under it
    ("会诊记录：建议：完善下肢静脉彩超，低分子肝素4100IU ih q12h。", "suggestion"),  # 建议： inside a line still advises
    ("难道你没看说明书吗？不是早就说了要空腹吃吗？饭后吃效果要打折扣的，明天开始早上起床就吃。", "suggestion"),
    ("是不是跟你说过要空腹吃？", "question"),  # 是不是 asks; 不是…说过 inside it is no reproach
    ("麻烦把最近三次的甲功结果发一下，TSH、FT3、FT4都要，最好带上参考范围。", "question"),
    ("常见问题解答：\n1. 可以喝酒吗？——服药期间不可以。\n2. 什么时候复查？——一个月后。", "suggestion"),
    ("HPV九价是三针，按0、2、6个月接种。中间感冒发烧就往后推，不用重新开始。", "suggestion"),
    ("接下来一周请每天记录：\n1. 早晚血压各一次；\n2. 头晕发作的时间和持续多久；\n3. 当天的睡眠时间。\n复诊时带来给我看。",
     "suggestion"),
    ("您好，麻烦提供一下患者的姓名和就诊卡号，我帮您查一下预约记录。", "question"),
    ("先 check 一下血常规和 CRP，看是不是 bacterial infection，结果出来再决定要不要上抗生素。", "suggestion"),
    ("能不能先停两天看看，再观察一下皮疹有没有消退？如果消了，基本就能确定是这个药引起的。", "suggestion"),
    ("胰岛素剂量调整参考：\n| >10 | 加4单位 |\n| <4.4 | 减2单位 |\n每3天按平均值调整一次。", "suggestion"),
    ("PPI bid 吃两周，早晚饭前半小时各一粒，两周后 follow up，OK？", "suggestion"),
    ("舍曲林加到100mg这两周，睡眠和胃口有什么变化？", "question"),  # the dose raised earlier: history, not advice
    ("出生日期 Date of Birth：1944-12-25 | 随访日期 Follow-up：2024-12-25", "other"),  # a form's field
    ("按键 Key | 作用 Action |", "other"),
    ("阿莫西林要吃几天", "question"),
    ("患者黄疸明显，先请肝胆外科会诊，看要不要做ERCP。", "suggestion"),
]


CASES_S55B = [
    ("听起来你一方面想戒，一方面又担心戒了以后晚上睡不着。这两种感觉里，现在哪一种更强一些？", "question"),
    ("跟他争论谁对谁错是没用的，不如顺着他的话头把注意力转开。", "suggestion"),
    ("建议3个月后复查血脂。如需进一步解释，请告诉我。", "suggestion"),
    ("考虑可能是尿路感染，多喝水。方便的话用尿液试纸测一下，把比色的结果拍照发我。", "mixed"),
    ("把孩子出疹子的部位拍几张照片发给我，再用手指压一下疹子，告诉我压下去会不会褪色。", "question"),
    ("我只是实习的，不能给您改药，您先按原来的方案吃，明天跟王主任说一下会比较好。", "suggestion"),
    ("**请注意：我不是医生，无法提供诊断。**\n\n请问：头痛主要在哪个部位？", "question"),
    ("我觉得……是不是先别吃辣的比较好？胃镜结果出来之前，吃清淡一点应该没错。", "suggestion"),
    ("这是一个很好的问题。**布洛芬和对乙酰氨基酚可以交替使用吗？** 一般来说不建议常规交替使用。还有什么我可以帮您的吗？",
     "suggestion"),
    ("幾時開始腳腫㗎？心臟科啲藥可能要調整。", "mixed"),
    ("谢谢您这么详细地把情况告诉我。", "other"),
    ("现在量一下体温，量完把度数告诉我。", "question"),
    ("麻烦把老人现在吃的所有药——包括保健品——的名字和每天的剂量列一张清单发给我。", "question"),
    ("那个你这个咳嗽就是说拖太久了要拍个胸片嗯然后呢有没有发过烧啊晚上出不出汗", "mixed"),
    ("现在去称一下体重，再用软尺量一下腰围，两个数字都发给我。", "question"),
    ("抱歉，刚才在处理一个急诊病人，回复晚了。", "other"),
    ("要不要考虑先做个输卵管造影？先把输卵管通不通搞清楚，比较省时间。", "suggestion"),
    ("您好喔，這個血糖數字蠻高的，要回診調整藥物。", "suggestion"),
    ("您也别一个人扛着，可以问问社区有没有日间照料中心，白天送过去几个小时。", "suggestion"),
    ("不建议一下子停，可以每两周减四分之一片，这样安排你看行不行？", "suggestion"),
    ("多喝水，把结果发给我。", "mixed"),  # advice with no measurement stays advice beside the request
    ("他没告诉我", "other"),
]


CASES_S55C = [
    ("不客气，孩子没事就好，您也早点休息。", "other"),
    ("麻烦拍一张素颜正面照和左右侧脸发过来，自然光下拍，不要开美颜。", "question"),
    ("海蓝之谜面霜里有矿物油和香精，闭口多的人确实可能不耐受。你用了多久开始冒闭口的？", "mixed"),
    ("麻烦把您之前在别家医院拍的CBCT片子发一份过来，我看看骨量够不够。", "question"),
    ("君乃气虚之体，寒凉之品再伤脾胃。宜以山药、芡实煮粥调养。", "suggestion"),
    ("何以久咳不愈？肺为娇脏，燥邪伤肺，故干咳少痰。治宜润肺止咳，秋梨膏可常服。", "suggestion"),
    ("本周清单：①主食换一半成杂粮；②晚上八点后不进食；③每周称重两次，记在饮食日记里。", "suggestion"),
    ("要不要试试把晚饭的米饭减到半碗，再加一份绿叶菜？饱腹感不会差太多。", "suggestion"),
    ("实在想喝就选三分糖、中杯，每周不超过一次，这样可以吗？", "suggestion"),
    ("研究显示，收缩压控制在130以下可使卒中风险降低约20%。您在家自测的血压一般在什么水平？", "mixed"),
    ("为了计算Wells评分，需要向您确认几点：近四周内有没有做过手术？以前得过深静脉血栓吗？", "question"),
    ("为评估骨折风险，请补充以下信息：年龄、体重、是否吸烟、是否长期口服糖皮质激素。", "question"),
    ("'喝醋能软化血管'没有任何科学依据。倒是您说血压一直偏高，平时有在吃降压药吗？", "mixed"),
    ("亲，还有什么可以帮到您的吗？随时戳我哈~", "other"),
    ("亲，方便说一下宝宝现在几个月了吗？这次主要是哪里不舒服呢~", "question"),
    ("亲~这在年轻人里很常见哒，一般不用处理哈，不用担心呢。", "suggestion"),
    ("亲，不客气哒，有需要再来找小雅哈", "other"),
    ("别再空腹喝咖啡了 ok? 先吃两周奥美拉唑, 早饭前半小时吃.", "suggestion"),
    ("能把血常规报告拍给我吗? 拍清楚点, 别反光.", "question"),
    ("洗澡水别太烫，洗完马上抹身体乳。\n🙂 很简单吧？", "suggestion"),
    ("复查的时候顺便查一下甲状腺功能。\n（为什么要查这个？因为您说的手抖、怕热都挺像的。）", "suggestion"),
    ("别再吃了。好吗？", "suggestion"),  # consent on its own line after advice
    ("拍清楚点。", "other"),  # no request before it: nothing to qualify, no advice either
]


CASES_S56 = [
    ("小朋友度数涨得有点快哦😟 建议每天户外两小时～ 最近一次验光是多少度呀？", "mixed"),
    ("您好，眼科周三上午还有号，需要我帮您预约吗？", "other"),
    ("按说明书剂量吃就行。需要我帮您预约吗？", "suggestion"),
    ("你呢個情況要去急症室照下X光。而家仲痛唔痛？", "mixed"),
    ("【病情补充】姓名：____ 年龄：____ 主要症状：____ 请填写后回复，方便医生判断。", "question"),
    ("要不先滴几天人工泪液看看？选不含防腐剂的那种，一天4到6次。", "suggestion"),
    ("要不先贴个膏药试试？另外腰疼几天了？", "mixed"),
    ("化疗期间吃不下饭很正常，少量多餐就行，想吃什么就吃什么。", "suggestion"),
    ("很多家长问，戴眼镜会不会让度数越来越深？其实不会，该戴还是要戴。", "suggestion"),
    ("有人问能不能吃鸡肉、海鲜，是不是“发物”？这个说法没有科学依据。", "suggestion"),
    ("人工泪液选什么牌子其实区别不大，关键是不含防腐剂。", "suggestion"),
    ("伤口要先用肥皂水冲洗15分钟，然后尽快去打疫苗，明白了吧？", "suggestion"),
    ("这两天注意观察一下是否发热，还有伤口周围有没有红肿、渗液。", "suggestion"),
    ("孩子看黑板需要眯眼吗 平时每天户外活动大概多长时间", "question"),
    ("请问挂号要带身份证吗 还是医保卡就行", "question"),  # 还是 goes on with the question before it
    ("喂 喂 听得到吗 信号不好 我再打过来", "other"),
    ("我需要多了解一些情况：摔倒之前有没有头晕；晚上起夜几次。", "question"),
    ("平时一天三餐大概都吃些什么，能把昨天吃的东西列一下吗", "question"),
    ("以上回复仅供参考，不能代替线下面诊，如有不适请及时就医。", "other"),
    ("我先说一下飞蚊症是怎么回事。大部分是生理性的，不需要治疗。", "suggestion"),
    ("蛋白质还是要吃够，每餐一个手掌大小的肉蛋鱼。晚饭是不是还在吃外卖呀", "mixed"),
    ("PEP 72 小时内吃都有效，越早越好。你那次是几号几点？", "mixed"),
    ("喂喂 听得到吗 我说我那个化验单号是2403150127 你帮我查下结果出来没", "question"),
]


CASES_S56B = [
    ("老人这几种药里有两种都是降压的，可能重复了。最近站起来的时候头晕吗？", "mixed"),
    ("捏住鼻翼压10分钟。现在血止住了吗？", "mixed"),
    ("要不要紧我得先弄清楚：疼了多久，有没有往左胳膊放射", "question"),
    ("很多人问要不要吃消炎药？其实病毒感染吃了没用。孩子咳嗽有痰吗？", "mixed"),
    ("怎么办呢？其实不复杂：把家里的地毯和毛绒玩具收起来，床单被套每周用55度以上的热水洗一次。", "suggestion"),
    ("1.先停用新换的护肤品 2.早晚涂保湿霜 3.告诉我起疹子前一天吃过什么", "mixed"),
    ("很多家长问打完疫苗能不能洗澡？其实当天就可以洗，别使劲揉针眼就行。", "suggestion"),
    ("请把最近的血常规发给我，我看看要不要调药；这周先少吃香蕉、橙子这些高钾水果。", "mixed"),
    ("那么下一步就是做过敏原检测，查清楚了再说怎么避。", "suggestion"),
]


CASES_S56C = [
    ("要不先把舍曲林改到早上吃，看看晚上睡眠会不会好一点？", "suggestion"),
    ("要不先把华法林减到每天半片，三天后再测一次INR看看？", "suggestion"),
    ("打鼾的时候家里人有没有注意到您会憋气、突然停一下再喘过来", "question"),
    ("这次出血量大概多少，一天用几片卫生巾？如果一天超过8片或者头晕乏力，要来医院看看。", "mixed"),
    ("疫苗按接种本上的时间打就行。晚了几天没关系，不用重新开始，直接补上即可。", "suggestion"),
    ("13价肺炎疫苗一共4针，2、4、6月龄各一针，12-15月龄加强一针。宝宝第一针是几月龄打的？", "mixed"),
    ("药先按原来的量吃，下周在调。你这两天头还晕不晕", "mixed"),
    ("骨折四到六周复查X光片，看骨痂长得怎么样再决定拆不拆石膏。这期间别让石膏沾水。", "suggestion"),
    ("您说的甲功复查，是TSH、FT3、FT4三项都查了吗？", "question"),
    ("上次让您注意的低盐饮食和监测血压，这一周执行得怎么样？血压大概多少？", "question"),
]


CASES_S57 = [
    ("您好！那个药您一直是饭前吃的还是饭后吃的呀", "question"),
    ("查過甲狀腺功能未呀？有冇報告可以影低畀我睇睇", "question"),
    ("为了帮您调整用药，请逐条回复：\n① 最近一周每天大概睡几个小时；\n② 上次复诊到现在，有没有自己加过量或者漏服。", "question"),
    ("请每天记录以下内容，复诊时带来：\n1. 早上起床后的血压\n2. 当天有没有头晕、心慌", "suggestion"),
    ("能不能每天少坐一会儿，每隔一小时起来走两步？腰会舒服很多的。", "suggestion"),
    ("是不是该把烟戒了？你这个肺功能已经开始往下走了，再抽下去就是慢阻肺。", "suggestion"),
    ("有些家长会问：孩子烧到39度会不会把脑子烧坏？不会的，要关注的是精神状态和有没有抽搐。", "suggestion"),
    ("哪有那么快好的，骨折至少要固定六周，现在就拆石膏太早了。", "suggestion"),
    ("晚饭能不能早点吃，睡前三个小时就别再进食了？反酸会轻不少。", "suggestion"),
    ("呢个好大机会系胃炎，先食住啲胃药睇下。大便有冇黑色？", "mixed"),
    ("先别慌，这种情况多数是惊恐发作，慢慢深呼吸。以前有过类似的发作吗？", "mixed"),
    ("整得挺严重啊，这得缝针。你破伤风针打过没？", "mixed"),
    ("加油💪 你一定可以的", "other"),
    ("我理解您的心情，换谁遇到这种事都会难受的。", "other"),
    ("请问还有哪里没看明白的吗", "other"),
    # what the rules above must not take
    ("谁陪孩子来的？", "question"),
    ("是不是该来月经了？", "question"),
    ("换药的时候谁帮你弄的？", "question"),
]


CASES_S57B = [
    ("您问的维生素D，宝宝从出生后两周开始每天吃400单位，一直吃到两岁。", "suggestion"),
    ("您好，这里是健康险护士热线，本次通话可能会被录音，请问还有什么需要帮您的吗？", "other"),
    ("B超单子拍过来，NT的报告也一起发", "question"),
    ("BP控制得不错，继续原方案。HR最近多少？有没有心悸", "mixed"),
    ("化验单发过来我看下", "question"),
    ("阿莫西林 0.5 tid 7天", "suggestion"),
    ("能不能少看点手机？每看20分钟，就抬头看6米外的东西20秒。", "suggestion"),
    ("回去观察黄疸有没有加重。宝宝现在吃奶怎么样？", "mixed"),
    ("减重期间每天蛋白质按每公斤体重1.2克来吃，主食换一半粗粮，晚饭吃七分饱。", "suggestion"),
    # what the rules above must not take
    ("报告我已经发过来了，您看到了吗？", "question"),
    ("我会把您的片子发给我们主任看看。", "other"),
]


CASES_S58 = [
    ("你呢個似係濕疹，先搽住啲潤膚膏。係咪一沖完涼就痕得犀利啲？", "mixed"),
    ("咁你不如試下戒咗咖啡先，睇下心跳會唔會慢返落嚟。", "suggestion"),
    ("能不能把晚饭提前到六点半？吃完别马上躺下", "suggestion"),
    ("能不能把药盒背面的说明书拍一下发过来？我看看具体是什么成分", "question"),
    ("这个不想是骨折 应该是软组织挫伤 先冷付 48小时后再热付 你现在走路还疼吗", "mixed"),
    ("这个药膏一天抹两次就够了，抹多了反而伤皮肤，您说是不是这个理？", "suggestion"),
    ("你这个 LDL 有点高，先 lifestyle modification 三个月，diet 和 exercise 都要跟上，三个月后 recheck。", "suggestion"),
    ("【XX医院互联网医院】尊敬的患者，为便于医生评估病情，请在问诊开始前补充以下信息：过敏史、目前用药、既往手术史。", "question"),
    ("这个你先别吃那个药了然后明天空腹过来抽个血你之前肝功能查过没有", "mixed"),
    ("舌头伸出来拍张照片发给我，要看一下舌苔", "question"),
    ("血糖都十五了还天天喝奶茶，这怎么降得下来？奶茶先戒了，主食减三分之一。", "suggestion"),
    ("有咩可以幫到你？", "other"),
    ("你应该是对青霉素过敏吧", "question"),
    ("先吃点药然后你现在还疼吗", "mixed"),
    # what the rules above must not take
    ("应该是什么时候开始的？", "question"),
    ("你把晚饭提前到几点了？", "question"),
    ("效果不如布洛芬好，先继续吃着吧。", "suggestion"),
    ("你是先发烧然后过了两三天才开始咳嗽的还是一起开始的呀", "question"),
    ("这个要看一下片子才知道，你拍过片子吗？", "mixed"),
    ("早上起来就这样的还是昨儿个就有点儿", "question"),
    ("最好的还是多休息，别熬夜。", "suggestion"),
    ("吃西药的还是比较多", "other"),
]


CASES_S59 = [
    ("先暂停游泳。耳朵里还流水吗", "mixed"),
    ("尿酸有点高，海鲜少吃。平时一天喝几两白酒", "mixed"),
    ("术后关节就是要动，越不动越僵。现在能抬到多高了？", "mixed"),
    ("你一天到晚抱着手机，颈椎能好吗？先把枕头换低一点。", "suggestion"),
    ("天天熬夜，皮肤能好吗？早点睡，少吃甜的。", "suggestion"),
    ("Mild swelling at the injection site is common and settles in a day or two. Has she had any fever?", "mixed"),
    ("什么情况得马上来医院？呕血、黑便、头晕得站不住，出现任何一个就直接去急诊。", "suggestion"),
    ("什么时候能开始跑步？一般术后三个月就可以慢跑了，先从快走开始。", "suggestion"),
    ("为了给您核对，请把目前在吃的降压药和降糖药的名字剂量列一下", "question"),
    ("脚上那块皮疹现在多大了 可以脱了袜子拍一张", "question"),
    ("先吃两周的抑酸药，两周后再来复查，您觉得可以吗？", "suggestion"),
    ("以上仅供参考，建议还是来医院面诊一下。孩子现在精神怎么样？", "mixed"),
    ("Please list everything she has eaten since yesterday.", "question"),
    ("Let's get a urine test done to be safe. Any pain when you pee?", "mixed"),
    ("Start with ice and rest for two days. Can you put weight on it?", "mixed"),
    ("This sounds like a tension headache.", "suggestion"),
    ("牙根已经裂了，得做拔除手术，保不住了。", "suggestion"),
    ("先住院观察一晚，这样稳妥些，你看行不行？", "suggestion"),
    ("每天用生理盐水洗两次。伤口还渗液吗", "mixed"),
    ("多做提肛运动，每天三组。大便的时候出血多吗", "mixed"),
    ("宝宝体重偏轻，辅食的量要加上去。现在一天吃几顿辅食", "mixed"),
    ("回家后注意看伤口有没有红肿，体温是否超过38度，出现就回来复查。", "suggestion"),
    ("吃完饭肚子胀不胀，打个嗝会不会好一点", "question"),
    ("这个药是饭前吃还是饭后吃", "question"),
    ("骨折以后要戴支具四周。你家里有人能帮你做饭吗", "mixed"),
    ("孩子在家的话，药一定放高处收好，误吞了对肝损伤很大。", "suggestion"),
    ("降压药每天早上都按时吃了吧", "question"),
    # what the rules above must not take
    ("你平时一天走几步路？", "question"),
    ("床头备几块糖，心慌就先吃。", "suggestion"),
    ("该吃还是得吃，别自己停。", "suggestion"),
    ("你是先天天熬夜才开始掉头发的吗？", "question"),
    ("那就先这样了吧", "other"),
    ("别再去了吧，在家歇两天。", "suggestion"),
    ("你现在还暂停着吗", "question"),
    ("你觉得哪里不舒服？", "question"),
    ("会不会是吃坏东西了？", "question"),
    ("还是建议您尽快就医。", "suggestion"),
    ("是继续吃还是停掉，等复查结果出来再定。", "suggestion"),
]


# session 71's set (classifier_s71; its sibling s71b held out): what the rules' misses taught, in new sentences, and
# near variants either way
CASES_S71 = [
    # 几 as "a few" before what will follow, asserted (…是会…的); 会要命 is the danger (not 会不会要命: asked)
    ("药停几天血压是会反弹的，一定要按时吃", "suggestion"),
    ("药停了几天，以后一定要按时吃", "mixed"),
    ("药停了几天了", "question"),
    ("停几天会好吗", "question"),
    ("擅自停透是会要命的", "suggestion"),
    ("这个病会不会要命", "question"),
    # an instruction softened by 一点, then the patient turned to in a run-on transcript; 调小一点 and a bare 慢一点 advise
    ("下次把流速调低一点你上次透析有没有头晕", "mixed"),
    ("把流速调低一点你看行不行", "suggestion"),
    ("流速已经调低一点了", "other"),
    ("流速调低一点了吗", "question"),
    ("下床的时候慢一点", "suggestion"),
    ("他恢复得慢一点", "other"),
    # a check to keep by touch or ear (摸一摸有没有…, 贴上去听有没有…) is an instruction; 听力有没有… still asks
    ("每天早晚摸一摸有没有震颤，摸不到了马上回医院", "suggestion"),
    ("用耳朵贴上去听有没有杂音，听不到就马上来医院", "suggestion"),
    ("内瘘有没有震颤", "question"),
    ("你听力有没有下降", "question"),
    # 有没有 after the time the history is asked of (最近一个月…) asks, whatever advice word it asks about
    ("最近一个月有没有突然加量", "question"),
    ("最近一个月有没有突然加量，别一下加太多", "mixed"),
    ("每天都要按时加量", "suggestion"),
    # 要配合吃… advises what goes with the treatment (需要配合吃药吗 asks)
    ("骨质疏松要配合吃钙片，饭后吃效果好。你现在吃的是哪种钙片？", "mixed"),
    ("需要配合吃药吗", "question"),
    # the doctor busy with an emergency (处理一个急诊) is an apology's reason, not advice; 就去急诊 advises
    ("抱歉，刚在处理一个急诊，晚点回你", "other"),
    ("胸痛加重就去急诊", "suggestion"),
    # what many ask first (一上来就问…) is quoted, and the 其实… after it answers it
    ("很多家长一上来就问孩子能不能打疫苗。其实感冒好了就能打。", "suggestion"),
    ("孩子能不能打疫苗", "question"),
    # 原理是… explains (原理是什么？ asks)
    ("这种药原理是抑制尿酸生成", "suggestion"),
    ("它的原理是什么？", "question"),
    # 还是按…来: the rule to go by (not the second half of 是A，还是按B来; 那就按刚才说的来 agrees)
    ("这条不适用，还是按营养师给的食谱来", "suggestion"),
    ("是每天吃，还是按需要来", "question"),
    ("OK的，那就按刚才说的来。", "other"),
]


@pytest.mark.parametrize(("text", "expected"), CASES_S71, ids=[t[:8] for t, _ in CASES_S71])
def test_session_71_set_cases(text: str, expected: str) -> None:
    assert classify_rules(text).turn_type == expected, classify_rules(text).cues


# the advice that sessions 67-70's mixed replies carried before their question, which the rules missed (read as
# questions alone), in new sentences and near variants either way
CASES_S71_ADVICE_BEFORE = [
    # 两个别…: the 个 of a count, not 个别 ("a few")
    ("这两个别搞混了", "suggestion"),
    ("极个别患者会出现皮疹", "other"),
    ("早晚两个别忘了吃。现在一天吃几次？", "mixed"),
    # 要特别留意 as 注意 (留意到 is noticed)
    ("这个副作用要特别留意。你有没有留意到手抖？", "mixed"),
    ("你有没有留意到手抖", "question"),
    # a routine, a rest, drops kept up, what to change each time, exercises, one test more, contraception
    ("要定期抽血查血药浓度", "suggestion"),
    ("定期复查了吗", "question"),
    ("今天先回家休息", "suggestion"),
    ("药继续点", "suggestion"),
    ("他继续点头", "other"),
    ("每换一次都要洗手", "suggestion"),
    ("要练本体感觉", "suggestion"),
    ("要练多久", "question"),
    ("还要查肾功能", "suggestion"),
    ("还要查什么", "question"),
    ("吃这个药要避孕的，你现在用的什么避孕方法？", "mixed"),
    ("要避孕吗", "question"),
    # what a finding shows (就说明), a diagnosis it fits (很符合), a treatment that does not reach the cause
    ("一周长了150克就说明奶够", "suggestion"),
    ("这个很符合肠易激", "suggestion"),
    ("符合报销条件吗", "question"),
    ("光吃安眠药是治标不治本", "suggestion"),
]


@pytest.mark.parametrize(("text", "expected"), CASES_S71_ADVICE_BEFORE, ids=[t[:8] for t, _ in CASES_S71_ADVICE_BEFORE])
def test_session_71_advice_before_a_question(text: str, expected: str) -> None:
    assert classify_rules(text).turn_type == expected, classify_rules(text).cues


# sessions 65-70's advice that the rules read as nothing (other), and proposals and what-to-do questions they read as
# asked, in new sentences and near variants either way
CASES_S71_ADVICE_UNSEEN = [
    # a dose by the night or the day, units added, taken fasting (已经加了…, …了吗, 是空腹吃的吗: done or asked)
    ("坦索罗辛每晚睡前一粒", "suggestion"),
    ("膏药一天一贴", "suggestion"),
    ("甘精每晚加两个单位", "suggestion"),
    ("已经加了两个单位", "other"),
    ("加两个单位了吗", "question"),
    ("优甲乐早上空腹吃", "suggestion"),
    ("你是空腹吃的吗", "question"),
    # what to keep or leave, how fast to build up, a dose made up later, what waits for a result
    ("不用拆，继续固定", "suggestion"),
    ("继续固定了吗", "question"),
    ("步数要慢慢加", "suggestion"),
    ("第二针半年后补上", "suggestion"),
    ("补上了吗", "question"),
    ("病理出来以后再决定怎么治", "suggestion"),
    # two medicines kept apart, a limit a year, a count at least, weighing at a clinic, the latest day to be vaccinated
    ("钙片和铁剂错开两小时", "suggestion"),
    ("一年不超过三四次", "suggestion"),
    ("润肤霜一天至少两次", "suggestion"),
    ("每周在社区医院称一次体重", "suggestion"),
    ("你每周在家称几次体重", "question"),
    ("至少在入境前10天接种", "suggestion"),
    # explanations: little effect, enough (Changsha 就够哒), the indication met, what it is and will not become
    ("对血糖影响都不大", "suggestion"),
    ("擦薄薄一层就够哒", "suggestion"),
    ("符合手术指征", "suggestion"),
    ("符合手术指征吗", "question"),
    ("就是普通支气管炎", "suggestion"),
    ("就是支气管炎吗", "question"),
    ("肠易激不会变成肠癌", "suggestion"),
    ("会不会变成癌", "question"),
    ("会慢慢好转的", "suggestion"),
    ("会好转吗", "question"),
    # a proposal opened by the occasion (要不这次先…, 要不今晚先…) and its second half; Henan consent 中不
    ("要不这次先把流感疫苗打了，新冠下个月再打？", "suggestion"),
    ("要不今晚先在酒店歇一天？你现在头疼几分？", "mixed"),
    ("咱先把药吃上，下周回来复查，中不？", "suggestion"),
    # what to do asked in dialect and answered at once (咋整, 怎样才能); asked of the patient's own doing it still asks
    ("这胃疼咋整？少吃辣的，按时吃饭。", "suggestion"),
    ("你这是咋整的？", "question"),
    ("怎样才能睡得好？睡前别看手机。", "suggestion"),
    ("你平时怎样才能睡着？", "question"),
    # whatever he wants (想吃什么就…); a diary's columns after 记在本子上：; what many ask first (第一句就问)
    ("想吃什么就给一点，别勉强", "suggestion"),
    ("他想吃什么", "question"),
    ("请每天记在本子上：血压、心率、当时有没有头晕", "suggestion"),
    ("很多病人第一句就问能不能根治。其实坚持吃药能控制住。", "suggestion"),
]


@pytest.mark.parametrize(("text", "expected"), CASES_S71_ADVICE_UNSEEN, ids=[t[:8] for t, _ in CASES_S71_ADVICE_UNSEEN])
def test_session_71_advice_the_rules_read_as_nothing(text: str, expected: str) -> None:
    assert classify_rules(text).turn_type == expected, classify_rules(text).cues


# sessions 67-70's advice before a question that the rules still missed after the lists above, in new sentences and
# near variants either way
CASES_S71_ADVICE_BEFORE_MORE = [
    # a step advised now (建议你先…的医生, 我建议你先…), not a noun phrase or what was advised before
    ("建议你先问一下开药的医生", "suggestion"),
    ("这个药和华法林有相互作用，我建议你先问一下开药的医生。你最近一次查INR是多少？", "mixed"),
    ("建议您吃的药有哪些", "question"),
    ("上次我建议你注意的低盐饮食，做到了吗？", "question"),
    # what to collect, stop, do, add or bring (要停多久 and 走多远要停下来 ask; 吃了两片 is done)
    ("要连续留三天的晨痰", "suggestion"),
    ("做阻滞前要停阿司匹林5到7天", "suggestion"),
    ("阿司匹林要停多久", "question"),
    ("走多远要停下来歇一歇", "question"),
    ("先让他坐起来，轻轻拍背", "suggestion"),
    ("三餐前各加1U", "suggestion"),
    ("家里全面禁烟", "suggestion"),
    ("先吃两片布洛芬顶一下", "suggestion"),
    ("吃了两片布洛芬", "other"),
    ("断牙泡在牛奶里一块带过来", "suggestion"),
    ("化疗前加一个止吐药", "suggestion"),
    # what to tell apart or check first is embedded in the advice (是A还是B, 有没有 alone ask)
    ("先分清是真性还是假性近视，别急着配镜", "suggestion"),
    ("是真性还是假性近视", "question"),
    ("用之前先检查袋子有没有漏，浑浊的就别用了", "suggestion"),
    ("袋子有没有漏", "question"),
    # an assessment, a risk named, the course (看着还行吗, 慢慢淡了吗 ask)
    ("片子看着还行", "suggestion"),
    ("片子看着还行吗", "question"),
    ("不是啥大病", "suggestion"),
    ("算高风险暴露", "suggestion"),
    ("痘印慢慢会淡的", "suggestion"),
    ("红印慢慢淡了吗", "question"),
]


@pytest.mark.parametrize(("text", "expected"), CASES_S71_ADVICE_BEFORE_MORE,
                         ids=[t[:8] for t, _ in CASES_S71_ADVICE_BEFORE_MORE])
def test_session_71_more_advice_before_a_question(text: str, expected: str) -> None:
    assert classify_rules(text).turn_type == expected, classify_rules(text).cues


# session 72's set (classifier_s72; its sibling s72b held out): what the rules' misses taught, in new sentences, and
# near variants either way
CASES_S72 = [
    # a duration to keep, with 够 (戴够8小时, 睡够7个小时); not 已经戴够了 (done) or …睡够7个小时吗 (asked)
    ("孩子的眼罩晚上戴够8小时", "suggestion"),
    ("每晚睡够7个小时", "suggestion"),
    ("已经戴够8小时了", "other"),
    ("每天能睡够7个小时吗", "question"),
    ("眼罩晚上戴够8小时。你现在一天戴几个小时？", "mixed"),
    # the age or month a dose is due (第三针满6个月时打); 第二针几岁打 asks, 第二针是4岁打的 tells what was done
    ("乙肝疫苗第三针满6个月时打", "suggestion"),
    ("第二针几岁打", "question"),
    ("第二针是4岁打的", "other"),
    ("第二针4岁打了吗", "question"),
    # which works better (效果更好) and what makes it worse (会加重), said, not asked (哪种…, 会不会…, 什么情况下…, …吗)
    ("流感疫苗打两针效果更好，孩子去年打了吗", "mixed"),
    ("哪种效果更好", "question"),
    ("这两种效果更好吗", "question"),
    ("抽烟会加重咳嗽，你一天抽几根", "mixed"),
    ("会不会加重", "question"),
    ("什么情况下会加重", "question"),
    ("吃辣会加重吗", "question"),
    # a diagnosis considered (考虑甲亢, 初步考虑过敏性…), not the patient left to think it over (再考虑一下) or asked
    ("甲功和B超都支持，考虑甲亢。你最近手抖不抖？", "mixed"),
    ("初步考虑过敏性结膜炎", "suggestion"),
    ("你再考虑一下", "other"),
    ("考虑好了吗", "question"),
    ("考虑甲亢吗", "question"),
    # 多少人…就吓得睡不着: "so many people" take fright, an exclamation; 多少人…就做了手术 and 多少人会得… ask, as does a ？
    ("多少人一听说是结节就吓得睡不着，其实大部分是良性的", "suggestion"),
    ("多少家长一看孩子发烧就慌了", "other"),
    ("多少人查出结节就做了手术", "question"),
    ("多少人会得这个病", "question"),
    ("多少人一看到结节就慌？", "question"),
]


@pytest.mark.parametrize(("text", "expected"), CASES_S72, ids=[t[:8] for t, _ in CASES_S72])
def test_session_72_set_cases(text: str, expected: str) -> None:
    assert classify_rules(text).turn_type == expected, classify_rules(text).cues


def test_held_out_session_72_set() -> None:
    # (classifier_s72b is held out: its failure gives the counts only, never its texts or misses; rules 0.950 at first
    # contact and after session 72's rules)
    records = _load(HELD_OUT_S72B)
    right = sum(classify_rules(r["text"]).turn_type == r["turn_type"] for r in records)
    assert len(records) == 120 and right / len(records) >= 0.94, f"{right}/{len(records)}"


# session 64's sets (classifier_s64, s64b, s64c): what their misses taught, in new sentences, and near variants either way
CASES_S64 = [
    # an emoji between clauses ends one, but the reply is still comma-less chat: its spaces part advice from a question
    ("血脂降下来了👍 阿托伐他汀继续吃 肌肉酸不酸", "mixed"),
    # 吃的A还是B: the 是 left out after a nominalising 的
    ("孩子喝的奶粉还是母乳", "question"),
    ("最好的办法还是多喝水", "suggestion"),
    ("吃的药还是比较多", "other"),
    # (是A，还是B: the second half describes, as the first does)
    ("头疼是一阵一阵的，还是一直疼、没有缓解的", "question"),
    # 复诊 before a role names the person, it advises nothing
    ("您好，我是您的复诊护士，请问伤口还疼吗？", "question"),
    ("下周记得复诊", "suggestion"),
    # a routine, a way of eating, a time to keep still, baby care: advice
    ("能不能每天固定时间吃饭？", "suggestion"),
    ("你是固定时间吃药吗", "question"),
    ("早饭晚饭都要按点吃", "suggestion"),
    ("夹板固定三周", "suggestion"),
    ("已经固定了两周", "other"),
    ("血压挺稳，药继续这样吃。", "suggestion"),
    ("能不能少熬点夜，早点睡？", "suggestion"),
    ("你最近熬夜多吗", "question"),
    ("喂完奶竖着抱一会儿，拍拍嗝再放下。", "suggestion"),
    ("不必特意忌口", "suggestion"),
    # what a finding shows or does not, how likely and how common: explanation
    ("这种情况复发的概率很低", "suggestion"),
    ("说明药量是合适的", "suggestion"),
    ("请说明一下", "question"),
    ("偶尔心跳漏一拍并不代表心脏有病", "suggestion"),
    ("很多孕妇都会有这种腰酸", "suggestion"),
    ("很多人都会问这个", "other"),
    # a photo, an upload, the answers asked for
    ("伤口有没有渗液 有的话拍张照", "question"),
    ("拍个照留底", "suggestion"),
    ("把血常规结果上传一下", "question"),
    ("你挑重点回我就行", "question"),
    ("你用的针头几毫米", "question"),
    # 喂？ checks the line; 著 read as 着 in 著急
    ("喂？在吗？", "other"),
    ("別著急，慢慢說。", "other"),
    # 要不 with a time before what is proposed, and the rest of the proposal (…，等半小时再躺下？)
    ("要不睡前先泡个脚，半小时后再上床？", "suggestion"),
    ("能不能饭后先别躺，等半小时再躺下？", "suggestion"),
    ("要不先说说你的情况？", "question"),
    # the criteria a decision depends on, listed: nothing asked
    ("要不要手术主要看两点：\n1. 有没有反复发作；\n2. 结石是否超过1厘米。\n你的结石才5毫米，先多喝水。", "suggestion"),
    ("我想了解两点：\n1. 有没有反复发作；\n2. 结石有多大。", "question"),
    # 再做几次: a few more; 有什么不舒服随时…: anything; 及时告诉我: when it happens
    ("每天散步半小时，再做几次拉伸", "suggestion"),
    ("每天散步半小时，做了几次拉伸", "mixed"),
    ("药先停两天，有啥不舒服随时过来", "suggestion"),
    ("哪里不舒服就来医院", "suggestion"),
    ("伤口还疼，哪儿不舒服", "question"),
    ("有啥不对劲及时告诉我", "suggestion"),
]


# session 66's sets d, e, f (classifier_s66d, s66e, s66f): what their misses taught, in new sentences, and near variants
CASES_S66DEF = [
    # where it was done (在急诊拍片子没 asks; 去急诊 advises); noticed (注意过没有 asks); a prophylactic drug named
    ("当时在急诊拍片子没", "question"),
    ("胸痛不缓解就去急诊", "suggestion"),
    ("他咳嗽的时候你们注意过没有", "question"),
    ("预防药吃了没有", "question"),
    # come back at once, book ahead, early detection, a window still open, a dose changed, every N hours
    ("伤口渗血的话今天就回来", "suggestion"),
    ("他就回来了", "other"),
    ("CT要预约", "suggestion"),
    ("约了吗？", "question"),
    ("早发现早治疗", "suggestion"),
    ("72小时内都还能吃阻断药", "suggestion"),
    ("第二针半年后再补上", "suggestion"),
    ("二甲双胍改为500mg", "suggestion"),
    ("每8小时一次", "suggestion"),
    ("血氧低于90就按铃", "suggestion"),
    ("那就按计划follow up", "suggestion"),
    ("睡觉一定挂蚊帐", "suggestion"),
    ("连吃三到五天", "suggestion"),
    # explanations: compared with, mostly caused by, the main cause
    ("防晒比美白还重要", "suggestion"),
    ("头痛很多是颈椎引起的", "suggestion"),
    ("尘螨是主要的过敏原", "suggestion"),
    # dialect and slang: Hokkien 莫阁 and 搁来, 有木有, 干嘛 (干嘛不: why not)
    ("睡前莫閣飲水", "suggestion"),
    ("有啥物無爽快擱來看", "other"),
    ("小便有木有泡沫", "question"),
    ("晚上一般都在干嘛", "question"),
    ("干嘛不早点来", "suggestion"),
    # a cleft question asks whatever words sit inside it (诊断, 复查); 是哪里都买得到的 is no question
    ("糖尿病是哪一年诊断的", "question"),
    ("上次是什么时候复查的", "question"),
    # 费用不用担心: no A-not-A; 想先了解一下，…醒过几次 asks
    ("检查费用不用担心", "other"),
    ("想先了解一下，最近夜里醒过几次", "question"),
    ("最近吃了多就了", "question"),
    # a questionnaire to answer now; a request's readings (早晚各一次) describe it
    ("做一下这个小问卷：最近一周有几天心情低落？回数字就行", "question"),
    ("三天后回来再测一次就行", "suggestion"),
    ("请把血糖记录发过来，早晚各一次，连续三天的，可以吗？", "question"),
    ("血糖早晚各一次", "suggestion"),
    # the patient's own plan, A or B (not 您这是…，还是要…)
    ("您这次出差是住酒店，还是要下工地", "question"),
    # a question answered at once by what decides it, or quoted as one many ask, before advice
    ("伤口会不会留疤？这个主要看体质，按时换药就行。", "suggestion"),
    ("你会不会过敏？这个主要看体质", "mixed"),
    ("孕妇能不能喝咖啡？这个问题问的人很多。每天一杯以内一般没事，别多喝。", "suggestion"),
    # quoted questions in a run; a question with no 你 after the answer is asked
    ("很多人问：会不会上瘾？会不会伤肝？其实按医嘱吃不会成瘾。", "suggestion"),
    ("有些家长会问发烧会不会烧坏脑子，其实不会。孩子现在精神怎么样？", "mixed"),
    # 要不 and a longer time before what is proposed, and what it is to hold down
    ("要不下次月经前三天就开始吃布洛芬，把那次疼压一压？", "suggestion"),
]


@pytest.mark.parametrize(("text", "expected"), CASES_S66DEF, ids=[t[:8] for t, _ in CASES_S66DEF])
def test_session_66def_set_cases(text: str, expected: str) -> None:
    assert classify_rules(text).turn_type == expected, classify_rules(text).cues


# session 66's sets (classifier_s66, s66b, s66c): what their misses taught, in new sentences, and near variants either way
CASES_S66 = [
    # 建议 and what to choose, ending in 的 (not 医生建议的剂量: the dose named)
    ("枕头建议选软一点的", "suggestion"),
    ("医生建议的剂量是多少？", "question"),
    # 还需要 and a test or a treatment; 还需要什么 asks
    ("血糖偏高，还需要查一个糖化血红蛋白", "suggestion"),
    ("还需要什么材料吗？", "question"),
    # 评估是否需要…: what the doctor will decide, no advice; 是否需要手术，要等…再定 still advises nothing but the wait
    ("为了评估是否需要住院，请告诉我体温多少", "question"),
    # when and where to do it: a window, fasting, how long to stay
    ("胃镜要在下午三点之前做", "suggestion"),
    ("胃镜要在哪做？", "question"),
    ("这个药要饭后吃", "suggestion"),
    ("这个药是要饭后吃吗？", "question"),
    ("打完针在门口坐满半小时再走", "suggestion"),
    ("我已经坐满了半小时", "other"),
    # intervals in weeks or months, a schedule of doses, what a short delay does not harm
    ("两次之间至少隔两周", "suggestion"),
    ("第三针在第一针后6个月打", "suggestion"),
    ("第三针在哪打？", "question"),
    ("晚两天打不影响效果", "suggestion"),
    # a log kept going, brought to the next visit
    ("血压接着记", "suggestion"),
    ("下次来带上", "suggestion"),
    ("下次带上了吗？", "question"),
    # a terse dose and a question, parted by a space (明早空腹多少 asks, not a plan for tomorrow)
    ("减2个 明早空腹多少", "mixed"),
    ("明早空腹来抽血", "suggestion"),
    # a reduplicated care verb; a bowel preparation's steps
    ("肚子胀就揉一揉", "suggestion"),
    ("药水一小时内喝完", "suggestion"),
    ("药水喝完了吗？", "question"),
    ("喝到拉出清水为止", "suggestion"),
    ("先歇一会儿", "suggestion"),
    ("小口慢慢地喝", "suggestion"),
    ("随身备一瓶速效救心丸", "suggestion"),
    ("自己捏一捏能止住吗", "question"),
    ("药先续上，开两周的量", "suggestion"),
    ("上次开了两周的药", "other"),
    # a few days later or earlier, not "how many days"
    ("推迟几天问题不大", "suggestion"),
    ("推迟几天了？", "question"),
    # both, or only one, the 是 left out
    ("两只眼睛都痒还是只有右眼", "question"),
    # what is not the point of a question word; what the treatment slows
    ("多少度其实不是关键，关键看持续几天", "suggestion"),
    ("坚持用反而能延缓近视加深", "suggestion"),
    ("潜伏期一般7到14天", "suggestion"),
    ("潜伏期是多久？", "question"),
    # the patient's documents and boxes sent or photographed for the doctor (胸片拍一下: an X-ray, advice)
    ("化验单发一下", "question"),
    ("药盒拍一下", "question"),
    ("胸片拍一下", "suggestion"),
    ("pls send the ECG", "question"),
    # a form's item: 能不能缓解 asks whether it eases, it proposes nothing
    ("1. 休息以后能不能缓解；2. 晚上会不会痛醒", "question"),
    ("能不能少喝点咖啡？", "suggestion"),
    # 预防接种证 is a booklet; 外用药名称 a form's field
    ("把预防接种证拍给我", "question"),
    ("请填写：1. 年龄 2. 正在用的外用药名称", "question"),
    # courtesy in Sichuanese, the service offered, a bare yes, consent in dialect and to a plan
    ("莫慌，我在看", "other"),
    ("还有别的要问的没？", "other"),
    ("可以的", "other"),
    ("你先吃三天药看看，要得不？", "suggestion"),
    ("先吃三天药，这样安排行吧？", "suggestion"),
    ("有啥子不舒服就莫等，直接来", "suggestion"),
    # a self-answered question about when to go: 哪些情况 as 什么情况
    ("哪些情况要马上去医院？高烧不退、抽搐，这两种直接去急诊。", "suggestion"),
    # a tilde between words ends a sentence (not 您好呢~, a greeting drawn out)
    ("这是正常的～最近睡得好吗？", "mixed"),
    ("亲，您好呢~这里是在线客服", "other"),
    # misses session 65 left: 多就 typed for 多久 at a clause's end; 要不要顺便… proposes; a meeting's opening invites, it
    # plans nothing, while what the family must prepare for advises
    ("每次走路要多就", "question"),
    ("这次要不要顺便把血脂也查一下？", "suggestion"),
    ("今天请大家过来，主要是想把检查结果跟大家讲一下。", "other"),
    ("今天过来复查", "suggestion"),
    ("情况不乐观，家里要有个心理准备", "suggestion"),
    ("你有心理准备吗？", "question"),
]


@pytest.mark.parametrize(("text", "expected"), CASES_S66, ids=[t[:8] for t, _ in CASES_S66])
def test_session_66_set_cases(text: str, expected: str) -> None:
    assert classify_rules(text).turn_type == expected, classify_rules(text).cues


# session 65's sets (classifier_s65, s65b, s65c): what their misses taught, in new sentences, and near variants either way
CASES_S65 = [
    # 得 before a verb: must (not 得了, 得嘞)
    ("牙髓发炎了，得做根管治疗", "suggestion"),
    ("你也得多休息", "suggestion"),
    ("得了这个病以后一直睡不好", "other"),
    ("得嘞，那就这么定了", "other"),
    # 别 ending a noun before a colon (性别, 眼别) forbids nothing
    ("不适部位：[头/胸/腹]", "other"),
    ("别熬夜了", "suggestion"),
    # 小心, 要慢, a Latin name before when to take it, 减半, 减到 a dose, 多加, 先不, 先留 N 天, 换软…
    ("小心烫伤", "suggestion"),
    ("下楼要慢一点", "suggestion"),
    ("Metformin 饭后吃", "suggestion"),
    ("饭后吃了以后胃不舒服", "other"),
    ("米饭减半", "suggestion"),
    ("阿托伐他汀减到10mg", "suggestion"),
    ("上次加到20mg以后就不疼了", "other"),
    ("多加一勺醋", "suggestion"),
    ("我多加了一片", "other"),
    ("这两天先不吃辣", "suggestion"),
    ("我先不吃了", "other"),
    ("伤口引流管先留两天", "suggestion"),
    ("我留了两天", "other"),
    ("刷牙换软毛牙刷", "suggestion"),
    ("我换了新的牙刷", "other"),
    # 几 before a dose of decoction, a sachet or a spoon asks (再吃几片: a few more)
    ("中药一天喝几袋", "question"),
    ("一天冲几勺奶粉", "question"),
    ("再吃几片看看", "suggestion"),
    # 有什么不舒服再找我, 有啥不舒服随时在来 (在 typed for 再): anything; 什么时候再来 asks when
    ("有什么不舒服再找我", "other"),
    ("药先停两天，有啥不舒服随时在来", "suggestion"),
    ("你什么时候再来？", "question"),
    # courtesy: the doctor lets the patient go, puts the talk off, offers the service
    ("好的，您先忙吧", "other"),
    ("那等你复查完再说", "other"),
    ("等你检查完再来复诊", "suggestion"),
    ("您好，今天想咨询点什么？", "other"),
    # the doctor's need to ask is no advice; 请如实回答 asks, 一定要如实回答 (to someone later) advises
    ("这个问题我必须问清楚，请如实回答。", "question"),
    ("见到医生一定要如实回答", "suggestion"),
    # a photo of something the patient has, sent for the doctor (拍…留着对比: a record kept)
    ("方便的话拍一下舌苔给我", "question"),
    ("拍一下舌苔留着对比", "suggestion"),
    # 哪有不苦的: no such thing (哪里有不舒服的地方？ asks)
    ("中药哪有不苦的，加点蜂蜜吧", "suggestion"),
    ("哪里有不舒服的地方？", "question"),
    # a side effect or reaction named, in Mandarin or Cantonese; what a small dose will not do
    ("这个是激素的副作用，不用太担心", "suggestion"),
    ("呢个系正常反应，唔使担心", "suggestion"),
    ("这个是副作用吗？", "question"),
    ("这个药剂量很小，不会上瘾", "suggestion"),
    # the latest check asked (最近一次复查…是多少), not one advised
    ("你最近一次复查血糖是多少", "question"),
    ("下周复查一次血糖", "suggestion"),
    # the answer to the doctor's own why explains; a question after it still asks
    ("为什么要空腹抽血？因为吃饭会影响血糖。你今天吃早饭了吗", "mixed"),
    # a form's item that opens with 是否 asks, whatever habit it names; watching whether is advice
    ("1）是否按时吃药；2）是否有头晕", "question"),
    ("注意观察是否按时排便", "suggestion"),
    # things moved out of the way, questions written down for later
    ("把地上的杂物挪开", "suggestion"),
    # comma-less chat that asks twice, a test's Latin name a word of its own (C3 C4呢, CRP呢)
    ("B超和CT做了没 CRP呢", "question"),
    ("ANA查过没有 补体C3 C4呢", "question"),
    ("多喝水 CRP呢", "mixed"),
    # 是A，还是要…才B: the second half describes (还是要多喝水 after a diagnosis advises)
    ("是一阵一阵的，还是要一直吃药才能缓解", "question"),
    ("这个是病毒感染，还是要多喝水", "suggestion"),
    # a dose changed before the measurement to report is advice; the measurement alone is what is asked
    ("你先把二甲双胍减一片，明早再测一次，测完告诉我多少", "mixed"),
    ("测一下血糖，告诉我多少", "question"),
    ("先用体温计量一下，量完告诉我多少", "question"),
    # 几组 asks how many sets were done (再做几组, 每天练几组 after advice: a few more, how often)
    ("你做了几组", "question"),
    ("每天做三组，再做几组拉伸", "suggestion"),
    ("试试靠墙静蹲，每天练几组", "suggestion"),
    # a drug, a week or a plan, then 得 and what to do to it: must (s65d, s65e); 接着吃 continues a drug like 继续吃
    ("手术前阿司匹林得停五天。", "suggestion"),
    ("下周得安排做个胃镜。最近胃口怎么样？", "mixed"),
    ("血压药得换了，明天来开药。", "suggestion"),
    ("降压药接着吃，每天早上一片。", "suggestion"),
    # but 得 of another word, or 得 asked, or 接着 asked, is no advice
    ("你觉得做手术好不好？", "question"),
    ("这个药是不是得停？", "question"),
    ("上次的药得停多久？", "question"),
    ("药还要接着吃吗？", "question"),
    ("你记得吃过几片吗？", "question"),
    # 不怎么疼 is "not very", 能走多远算多远 "as far as it goes"; 怎么疼 and 能走多远 still ask
    ("按压十分钟，明天就不怎么疼了。", "suggestion"),
    ("现在怎么疼法？", "question"),
    ("每天坚持散步，能走多远算多远。", "suggestion"),
    ("你现在一次能走多远", "question"),
    # a proposal tried for a week, or a proposal that goes on with what to stop (…以后就不喝了)
    ("要不您先把晚饭提前到六点，试一个礼拜？", "suggestion"),
    ("能不能把每天的奶茶减到一杯，晚上八点以后就不喝了？", "suggestion"),
    ("能不能把奶茶减到一杯，晚上还喝得下饭吗？", "mixed"),
    # 坚持了, 已经坚持, 最后一次加量: what was done, not advised; 坚持吃, 得加量 still advise
    ("以前戒过几次？最长坚持了多久", "question"),
    ("最后一次加量是哪天", "question"),
    ("降压药每天坚持吃，不要停。", "suggestion"),
    # what the doctor cannot conveniently do here, and the service offered with 啥
    ("抱歉，我这边线上不方便直接改剂量。", "other"),
    ("还有啥要问的不？", "other"),
    ("还有啥地方不舒服吗？", "question"),
    # 概率其实不高 and 到时还是阴性就彻底放心 explain (单纯安慰 such as 别慌 alone is other); asked, they ask
    ("别慌，这种情况感染的概率其实不高。", "suggestion"),
    ("复查还是阴性就可以放心了。", "suggestion"),
    ("可以放心了吗？", "question"),
    ("别慌", "other"),
    # 给你安排输血 plans a treatment; 帮你安排一下时间 is service
    ("下午给你安排输两个单位红细胞，您看行吗？", "suggestion"),
    ("我帮你安排一下时间好吗？", "question"),
    # 拍一下给我瞅瞅 asks for a photo with nothing between 拍 and 给我
    ("拍一下给我瞅瞅", "question"),
    ("拍一下方子给我", "question"),
]


@pytest.mark.parametrize(("text", "expected"), CASES_S65, ids=[t[:8] for t, _ in CASES_S65])
def test_session_65_set_cases(text: str, expected: str) -> None:
    assert classify_rules(text).turn_type == expected, classify_rules(text).cues


@pytest.mark.parametrize(("text", "expected"), CASES_S64, ids=[t[:8] for t, _ in CASES_S64])
def test_session_64_set_cases(text: str, expected: str) -> None:
    assert classify_rules(text).turn_type == expected, classify_rules(text).cues


# session 63's later sets (classifier_s63d, s63e): what their misses taught, and near variants either way
CASES_S63DE = [
    ("打鼾的时候有没有憋气，停一会儿再喘上来", "question"),
    ("停阿司匹林一周", "suggestion"),
    ("停一下", "other"),
    ("什么时候要回来复查？如果伤口渗液、发红，就要马上回来。", "suggestion"),
    ("我马上回来", "other"),
    ("您稍等，我去拿一下报告，马上回来。", "other"),
    ("发烧三天不退要马上回医院", "suggestion"),
    ("打完疫苗后低烧和疫苗关系不大，一般两天就退。", "suggestion"),
    ("月经推迟几天了？", "question"),
    ("月经推迟几天了", "question"),
    ("鱼油不能代替降脂药，还是要按时吃他汀。", "suggestion"),
    ("以上仅供参考，不能代替面诊。", "other"),
    ("线上咨询不能代替医生当面检查。", "other"),
    ("每天看手机的时间控制在一小时以内", "suggestion"),
    ("您血压一直控制在130以下吗", "question"),
    ("你血压平时控制在多少", "question"),
    ("血糖一直控制在7以下，挺好的", "other"),
    ("术后三个月是黄金期，要抓紧练。", "suggestion"),
    ("抓紧练了吗", "question"),
    ("好的，下周复诊见", "other"),
    ("明天门诊见哈", "other"),
    ("下周复诊", "suggestion"),
    ("下周来复诊，带上报告。", "suggestion"),
    ("要不要先吃上氯雷他定，一天一片？", "suggestion"),
    ("你现在氯雷他定一天一片？", "question"),
    ("氯雷他定一天一片，睡前吃。", "suggestion"),
    ("你一天几片", "question"),
    ("量一下体温多少度，记下来，明天复诊带来。", "suggestion"),
    ("体温多少，我记下来", "question"),
    ("量一下体温多少度告诉我", "question"),
    ("现在体温多少？记下来没有？", "question"),
    ("数一下一分钟脉搏多少下", "question"),
    ("很多家长问打完疫苗能不能洗澡？当然可以。", "suggestion"),
    ("有人问能不能吃海鲜，其实可以适量吃。你最近吃了什么？", "mixed"),
    ("很多人问这个会不会传染，你家里有人也这样吗？", "question"),
    ("这个要慢慢来，至少三个月。", "suggestion"),
    ("症状至少三个月了", "other"),
    ("咳嗽至少三周了吗", "question"),
    ("不太像细菌感染，抗生素先不用吃。", "suggestion"),
    ("你是不太像感冒的样子吗", "question"),
    ("先不用吃药吗", "question"),
    ("利伐沙班要开始吃了。", "suggestion"),
    ("利伐沙班已经开始吃了吗", "question"),
    ("什么时候开始吃的", "question"),
    ("你这个以湿热为主，少吃辛辣。", "suggestion"),
    ("平时饮食以什么为主", "question"),
    ("咳嗽以干咳为主吗", "question"),
    ("有啥子再找我", "other"),
    ("有啥症状", "question"),
    ("还有哪方面想了解的吗", "other"),
    ("还有哪些症状？", "question"),
    ("还有哪里不舒服", "question"),
]


@pytest.mark.parametrize(("text", "expected"), CASES_S63DE, ids=[t[:8] for t, _ in CASES_S63DE])
def test_session_63de_set_cases(text: str, expected: str) -> None:
    assert classify_rules(text).turn_type == expected, classify_rules(text).cues


CASES_S61 = [
    ("请问还有其他不清楚的地方吗？", "other"),
    ("还有别的没听明白的吗", "other"),
    ("Aim for 150 minutes of walking a week and cut down on sugary drinks.", "suggestion"),
    ("Why not try taking the iron tablet with orange juice instead of tea?", "suggestion"),
    ("需要跟您确认一下，您对青霉素过敏吗？", "question"),
    ("观察一下宝宝精神状态，是否嗜睡、是否拒奶", "suggestion"),
    ("注意观察大便颜色，是否发黑", "suggestion"),
    ("什么时候必须去急诊呢？如果胸痛超过20分钟不缓解，就马上打120。", "suggestion"),
    ("呢個係濕疹，每日搽多幾次潤膚霜。", "suggestion"),
    ("是不是细菌感染得靠血常规和CRP来判断，建议先抽个血。", "suggestion"),
    ("有没有骨折要靠拍片来确定", "suggestion"),
    ("是不是病毒性的感染得靠血常规来判断", "suggestion"),
    ("化疗后白细胞低，少去人多的地方。这次血常规查了没有？", "mixed"),
    ("这周少出门", "suggestion"),
    ("明白了，那就维持现在的胰岛素剂量，三天后再看血糖。", "suggestion"),
    ("维持现在的方案", "suggestion"),
    # what the rules above must not take
    ("还有其他不舒服的地方吗？", "question"),
    ("还有其他不清楚的症状吗？", "question"),
    ("Did you cut down on coffee?", "question"),
    ("Why don't you like the tablets?", "question"),
    ("Why not try ice? How swollen is it now?", "mixed"),
    ("需要跟您家人商量一下手术方案。", "suggestion"),
    ("多喝水，是否还在发烧", "mixed"),
    ("观察一下体温，你是否还在发烧", "mixed"),
    ("我观察到你有点喘，是否有哮喘史", "question"),
    ("你什么时候必须去透析？", "question"),
    ("什么时候必须去急诊呢？", "question"),
    ("每日搽几次润肤霜", "question"),
    ("差不多几点睡", "question"),
    ("是不是一直靠吃药控制", "question"),
    ("你是不是靠吃药来判断", "question"),
    ("我得靠轮椅", "other"),
    ("他平时很少出门", "other"),
    ("最近少去了吗", "question"),
    ("三天后再看也没消", "other"),
    ("您一直维持现在的剂量吗", "question"),
]


@pytest.mark.parametrize(("text", "expected"), CASES_S61, ids=[t[:8] for t, _ in CASES_S61])
def test_session_61_set_cases(text: str, expected: str) -> None:
    assert classify_rules(text).turn_type == expected, classify_rules(text).cues


CASES_S61C: list[tuple[str, str]] = [
    ("阿伯，结核药爱食足半年，毋好自家停，每朝食饭前食。", "suggestion"),
    ("毋好自家停", "suggestion"),
    ("药食足半年", "suggestion"),
    ("阿姆，降压药毋好食一日停一日。夜晡睡得着冇", "mixed"),
    ("夜晡睡得着冇", "question"),
    ("你这是血压高咧，盐少咥些，酒再不敢喝咧。", "suggestion"),
    ("盐少咥些", "suggestion"),
    ("酒再不敢喝咧", "suggestion"),
    ("侬好，有啥事体讲好了。", "other"),
    ("有什么事情说一下", "other"),
    ("啲藥要飯後食，有咩唔舒服就即刻返嚟醫院。", "suggestion"),
    ("有咩唔舒服就返嚟覆診", "suggestion"),
    ("Nicotine patches work best combined with gum. Which was harder for you last time?", "mixed"),
    ("Patches work best with gum.", "suggestion"),
    ("We'll recheck in six weeks before deciding on grommets.", "suggestion"),
    ("The graft looks like it's taking well. Is the itching keeping you awake at night?", "mixed"),
    ("The tympanogram is flat, which points to fluid behind the eardrum.", "suggestion"),
    ("你这伤口有点化脓了，得打破伤风。上回打破伤风针是啥时候", "mixed"),
    ("得打破伤风", "suggestion"),
    ("这个药饭后吃 胃不舒服的话及时告诉我 你以前有没有胃溃疡", "mixed"),
    ("胃不舒服的话及时告诉我", "suggestion"),
    ("如果出现皮疹，马上告诉我", "suggestion"),
    ("一旦发烧，及时告诉我。现在多少度？", "mixed"),
    ("耳鸣伴听力突然下降要按突发性聋处理，越早治疗效果越好。是哪天开始听不清的", "mixed"),
    ("越早治疗效果越好", "suggestion"),
    ("要按突发性聋处理", "suggestion"),
    ("您好，我是戒烟门诊的护士。这次想戒烟是您自己决定的，还是家里人劝的？", "question"),
    ("这次戒烟是自己决定的，还是家里人劝的", "question"),
    ("我是戒烟门诊的护士", "other"),
    ("您说烟都抽了三十年了还戒得掉吗？当然戒得掉，很多人六七十岁才戒成功，什么时候戒都不晚。", "suggestion"),
    ("什么时候戒都不晚", "suggestion"),
    ("现在戒也不晚", "suggestion"),
    # what the rules above must not take
    ("毋好意思", "other"),
    ("已经食足半年了", "other"),
    ("唔好意思，我冇", "other"),
    ("佢都冇", "other"),
    ("我不敢喝", "other"),
    ("娃不敢吃药咧", "other"),
    ("我再也不敢喝了", "other"),
    ("咥了多少", "question"),
    ("他再不敢吃药咧", "other"),
    ("有啥症状讲讲", "question"),
    ("侬有啥不适意？", "question"),
    ("有咩唔舒服？", "question"),
    ("有咩唔舒服", "question"),
    ("佢即刻返咗屋企", "other"),
    ("What works best for you?", "question"),
    ("Which works best for you?", "question"),
    ("The patches worked best for my brother.", "other"),
    ("When will we recheck?", "question"),
    ("Which points to the problem, the left or the right?", "question"),
    ("Is the wound healing well?", "question"),
    ("得用什么药", "question"),
    ("得了肺炎", "other"),
    ("得吃多久？", "question"),
    ("得打针吗", "question"),
    ("量完体温告诉我", "question"),
    ("如果量了体温，告诉我", "question"),
    ("如果方便，告诉我", "question"),
    ("方便的话告诉我你的体重", "question"),
    ("要是有报告的话发给我", "question"),
    ("如果有任何问题请告诉我", "other"),
    ("之前按胃炎治疗过", "other"),
    ("是不是越早越好？", "question"),
    ("越来越好", "other"),
    ("可以去戒烟门诊", "suggestion"),
    ("建议戒烟是为了你好，还是要坚持？", "mixed"),
    ("戒烟是第一位的，还是要坚持", "suggestion"),
    ("一定要戒烟", "suggestion"),
    ("现在去还不晚吗", "question"),
    ("什么时候开始疼的", "question"),
    ("烟抽了三十年还戒得掉吗？", "question"),
    ("我现在睡得不晚", "other"),
]


@pytest.mark.parametrize(("text", "expected"), CASES_S61C, ids=[t[:8] for t, _ in CASES_S61C])
def test_session_61c_set_cases(text: str, expected: str) -> None:
    assert classify_rules(text).turn_type == expected, classify_rules(text).cues


CASES_S61B: list[tuple[str, str]] = [
    ("Why don't we start with six weeks of physiotherapy?", "suggestion"),
    ("These findings fit with mild sleep apnoea. A trial of CPAP is worth considering.", "suggestion"),
    ("判断是不是过敏性结膜炎，关键看痒不痒，用奥洛他定滴眼液。", "suggestion"),
    ("关键看痒不痒", "suggestion"),
    ("家里测血压要连续测一周再看。现在吃的是哪种降压药？", "mixed"),
    ("连续测一周血压", "suggestion"),
    ("你呢個係五十肩，唔使開刀嘅，每日做吓爬牆練習。", "suggestion"),
    ("唔使开刀", "suggestion"),
    ("每日做吓爬墙练习", "suggestion"),
    ("能不能把每天刷牙的时间延长到两分钟，用巴氏刷牙法？", "suggestion"),
    ("把晚上刷牙的时间延长到三分钟", "suggestion"),
    ("那天过来打第一针百白破，打完在接种点留观30分钟。", "suggestion"),
    ("打完留观半小时", "suggestion"),
    ("说了多少遍了，拐杖要用满六周，明天起继续拄着。", "suggestion"),
    ("跟你讲了多少次了，烟要戒。", "suggestion"),
    ("护具继续戴着", "suggestion"),
    ("您可以试着每天写一份情绪日记：几点心情低落、当时在做什么、给情绪打几分。", "suggestion"),
    ("请写一份睡眠日志：几点上床、几点睡着", "suggestion"),
    ("可能是肾结石 多喝水多跳 B超做了没", "mixed"),
    ("多喝水 CT结果出来没", "mixed"),
    ("这个胸痛是压榨样的，还是针刺样的？按压胸口的时候会不会更疼", "question"),
    ("按压胸口的时候会不会更疼", "question"),
    ("老人家吃饭呛咳的话要改成糊状食物，小口慢喂。最近有没有发过烧？", "mixed"),
    ("小口慢喂", "suggestion"),
    ("是突然出现一大片，还是一直就有几个小点点", "question"),
    ("何必非得等到疼得受不了才来拔呢？智齿反复发炎就该趁早拔了。", "suggestion"),
    # what the rules above must not take
    ("Is it worth trying?", "question"),
    ("Do the results fit with what you feel?", "question"),
    ("关键是痒不痒？", "question"),
    ("眼睛痒不痒", "question"),
    ("已经连续吃了三天", "other"),
    ("要连续测几天", "question"),
    ("唔使太担心", "other"),
    ("不用手术吧？", "question"),
    ("你做咩工作㗎", "question"),
    ("能不能少熬夜，吃得下饭？", "mixed"),
    ("能不能少熬夜，晚上睡得着？", "mixed"),
    ("能不能下地走路，用拐杖？", "question"),
    ("已经留观24小时", "other"),
    ("留观室人多吗", "question"),
    ("你跟医生说了多少次？", "question"),
    ("已经用满六周了", "other"),
    ("护具还继续戴着吗", "question"),
    ("关于你的日记：你几点写的？", "question"),
    ("说说你的情况：几点睡、几点醒", "question"),
    ("你写过日记吗", "question"),
    ("我写了日记", "other"),
    ("先做个 CT看看", "suggestion"),
    ("之前查过 CT吗", "question"),
    ("洗澡的时候注意别沾水", "suggestion"),
    ("睡觉的时候把床头垫高", "suggestion"),
    ("按压伤口止血的时候要用力", "suggestion"),
    ("要改成什么时候吃？", "question"),
    ("是不是要换成胰岛素？", "question"),
    ("枕头低点", "suggestion"),
    ("早点睡", "suggestion"),
    ("当时没趁早治", "other"),
]


@pytest.mark.parametrize(("text", "expected"), CASES_S61B, ids=[t[:8] for t, _ in CASES_S61B])
def test_session_61b_set_cases(text: str, expected: str) -> None:
    assert classify_rules(text).turn_type == expected, classify_rules(text).cues


CASES_S60 = [
    ("I'd skip the evening dose for now. Any dizziness this morning?", "mixed"),
    ("接下来要做胃镜活检，明确是不是溃疡。", "suggestion"),
    ("术后第三天开始下地走路，每小时活动5分钟。", "suggestion"),
    ("其实打呼噜不一定是呼吸暂停。您晚上会憋醒吗？", "mixed"),
    ("这个药副作用很小。你以前对头孢过敏吗", "mixed"),
    ("你这个就是肩周炎嘛，莫天天提重东西。", "suggestion"),
    ("血糖药莫乱停。最近测过空腹血糖没有？", "mixed"),
    ("我的意见是先保守观察，您看呢？", "suggestion"),
    ("要不要考虑换个口服药？", "suggestion"),
    ("要不要先热敷一下，一天两三次？", "suggestion"),
    ("把出院小结拍一下发过来，别只拍第一页", "question"),
    ("加油，你一定能熬过去的", "other"),
    ("孩子平时主要是谁在照顾", "question"),
    ("您这次复查的血常规白细胞是多少", "question"),
    ("The scan shows a small benign cyst. No treatment is needed.", "suggestion"),
    ("ni ke sou ji tian le, you mei you fa shao", "question"),
    ("jian yi duo he shui, bie ao ye", "suggestion"),
    ("xian bie chi bing de, du zi teng shi fan qian hai shi fan hou", "mixed"),
    ("teng bu teng", "question"),
    # what the rules above must not take
    ("接下来要问您几个问题：平时抽烟吗？", "question"),
    ("这个药副作用大吗？", "question"),
    ("主要是饮食的问题，少吃辣。", "suggestion"),
    ("这次复查的时候记得带上病历。", "suggestion"),
    ("你一定可以恢复的，这种骨折愈合很好。", "suggestion"),
    ("大便一天三四次吗？", "question"),
    ("要不要紧？", "question"),
    ("Is a referral needed?", "question"),
    ("先 check 一下 blood sugar", "suggestion"),
    ("please send me a photo of the rash", "question"),
]


@pytest.mark.parametrize(("text", "expected"), CASES_S60, ids=[t[:8] for t, _ in CASES_S60])
def test_session_60_set_cases(text: str, expected: str) -> None:
    assert classify_rules(text).turn_type == expected, classify_rules(text).cues


def test_pinyin_is_read_only_where_every_latin_word_is_pinyin() -> None:
    from workbench.annotate.classifier import _from_pinyin

    assert _from_pinyin("wei teng shi fan qian teng hai shi fan hou teng") == "氕疼是饭前疼还是饭后疼"
    assert _from_pinyin("tou teng bu teng") == "头疼不疼"
    for text in ("Take the tablets after meals.", "先 check 一下血常规", "CT 看了吗", "ni hao"):
        assert _from_pinyin(text) == text


CASES_S60C = [
    ("雾化完以后你有没有洗脸", "question"),
    ("本次咨询已结束，如需继续咨询请重新发起", "other"),
    ("脉弦细，肝郁脾虚，方用逍遥散加减，先予七剂。", "suggestion"),
    ("你血糖有較懸，糖爱食较少。", "suggestion"),
    ("每三个小时给奶奶翻一次身", "suggestion"),
    ("I'd like to put you on a short course of prednisone.", "suggestion"),
    ("要不要先试试睡前泡脚，再做几分钟拉伸？", "suggestion"),
    ("药停了这么久都不复查，肝能吃得消吗？这周来抽个血。", "suggestion"),
    # what the rules above must not take
    ("停药以后，血压会反弹。", "suggestion"),
    ("雾化以后要漱口", "suggestion"),
    ("照片太糊了，请重新发一张", "question"),
    ("上次开的逍遥散加减吃完了吗", "question"),
    ("新冠疫苗已经打了三剂", "other"),
    ("我爱吃较淡的", "other"),
    ("他夜里每两个小时就醒一次", "other"),
    ("I'd like to know when the pain started. Does it spread to your arm?", "question"),
    ("要不要先冰敷一下，现在还肿吗？", "mixed"),
    ("疼得这么厉害，受得了吗？", "question"),
    ("吃了药也没好，还受得了吗？", "question"),
]


# English: the doctor's wish to know asks (I'd like to know…, I need to know whether…, I wonder if…); a wish for
# the patient to act advises (I would like you to rest…).
CASES_ENGLISH_WISHES = [
    ("I'd like to know when the pain started.", "question"),
    ("I would like to know how long you have had the cough.", "question"),
    ("I need to know whether you are allergic to penicillin.", "question"),
    ("I wonder whether you have had a fever.", "question"),
    ("I would like you to rest for a week.", "suggestion"),
]


@pytest.mark.parametrize(("text", "expected"), CASES_ENGLISH_WISHES, ids=[t[:12] for t, _ in CASES_ENGLISH_WISHES])
def test_an_english_wish_to_know_asks_and_a_wish_for_the_patient_advises(text: str, expected: str) -> None:
    assert classify_rules(text).turn_type == expected, classify_rules(text).cues


@pytest.mark.parametrize(("text", "expected"), CASES_S60C, ids=[t[:8] for t, _ in CASES_S60C])
def test_session_60c_set_cases(text: str, expected: str) -> None:
    assert classify_rules(text).turn_type == expected, classify_rules(text).cues


CASES_S60B = [
    ("把剂量减到一片。减量以后一晚上醒几次", "mixed"),
    ("药换成缬沙坦以后，有没有干咳？", "question"),
    ("伤口拆线以后要观察两天", "suggestion"),
    ("不如先停两天跑步看看？", "suggestion"),
    ("把上次的血常规发来我看一下", "question"),
    ("你弯一下腰 试一下告诉我哪里最疼", "question"),
    ("先别吃退烧药，体温量一下跟我说多少度。", "mixed"),
    ("您好，这里是急诊分诊台。病人现在能说话吗", "question"),
    ("颈椎操每天继续做。低头的时候手还麻吗？", "mixed"),
    ("肺炎疫苗每年都要打一次。", "suggestion"),
    ("其实蛀了的乳牙一样要补，不补会影响恒牙。", "suggestion"),
    ("孩子这是肺炎。平时咳嗽多吗", "mixed"),
    ("要打破伤风针", "suggestion"),
    ("天天熬夜，血压怎么会降下来？先把作息调过来。", "suggestion"),
    ("这几天留意一下大便颜色，要是发黑就带来看看。", "suggestion"),
    ("建议一个月后复查胃镜，看溃疡有没有愈合。", "suggestion"),
    ("早饭加一个鸡蛋，先这样吃起来。", "suggestion"),
    # what the rules above must not take
    ("停药以后，血压会反弹。", "suggestion"),
    ("现在睡得比以前好吗？", "question"),
    ("您发来的报告我看了，问题不大。", "suggestion"),
    ("我量一下再告诉你", "suggestion"),
    ("马上去急诊，先到分诊台登记", "suggestion"),
    ("这个操还能继续做吗", "question"),
    ("狂犬疫苗加强针每年都要打一次吗？你上一针是什么时候打的？", "question"),
    ("这是中耳炎吗", "question"),
    ("要吃多久", "question"),
    ("怎么会好得这么快？", "question"),
    ("这几天观察到什么变化没有", "question"),
    ("之前带来看过吗", "question"),
    ("建议查一下视力，看东西有没有重影", "mixed"),
    ("早餐吃了什么", "question"),
    ("先这样吧", "other"),
]


@pytest.mark.parametrize(("text", "expected"), CASES_S60B, ids=[t[:8] for t, _ in CASES_S60B])
def test_session_60b_set_cases(text: str, expected: str) -> None:
    assert classify_rules(text).turn_type == expected, classify_rules(text).cues


CASES_S59C = [
    ("最近胃口还行 家里有体温计没得", "question"),
    ("要不先停两天跑步，就做做拉伸？", "suggestion"),
    ("您的问题是：哺乳期能不能喝咖啡。答案是可以，每天一杯以内没问题。", "suggestion"),
    ("伤口还在渗血 止血带几点扎上的", "question"),
    ("很多家长问“为什么要涂氟？”其实涂氟能防蛀牙，所以还是要定期涂。", "suggestion"),
    ("今晚十点准时打破卵针。您这次月经第几天了？", "mixed"),
    ("降压药有没有每天按时吃", "question"),
    ("能不能把夜宵戒了，十点前睡觉？这样血糖会稳很多。", "suggestion"),
    ("宝宝这两天还拉哇", "question"),
    ("根据您描述的情况，建议您今天内到附近的三甲医院急诊就诊。", "suggestion"),
    ("I'd keep the splint on for one more week. Can you bend the finger yet?", "mixed"),
    ("先给你开五天的药，可以吧？平时胃好不好", "mixed"),
    ("你食咗咩药㗎", "question"),
    ("先在家观察，超过38.5度就吃退烧药。现在多少度？", "mixed"),
    ("那边疟疾多，主要靠防蚊，带上驱蚊液。出发日期定了吗？", "mixed"),
    ("少吃咸的，药别断，听着没？", "suggestion"),
    ("以下几点供参考：多喝水，少熬夜。", "suggestion"),
    ("侬手机少看看，夜里弗要熬。", "suggestion"),
    # what the rules above must not take
    ("上次让您注意的饮食，坚持得怎么样？", "question"),
    ("明天手术前我来问几个问题：以前做过麻醉吗", "question"),
    ("您好，我是护士小李，今天给您做出院后的电话回访。", "other"),
    ("有咩随时揾我。", "other"),
    ("你是不是先别去上班比较好", "suggestion"),
    ("晚上几点睡？", "question"),
]


@pytest.mark.parametrize(("text", "expected"), CASES_S59C, ids=[t[:8] for t, _ in CASES_S59C])
def test_session_59_third_set_cases(text: str, expected: str) -> None:
    assert classify_rules(text).turn_type == expected, classify_rules(text).cues


@pytest.mark.parametrize(("text", "expected"), CASES_S59, ids=[t[:8] for t, _ in CASES_S59])
def test_session_59_set_cases(text: str, expected: str) -> None:
    assert classify_rules(text).turn_type == expected, classify_rules(text).cues


CASES_S58B = [
    ("最近在家 BP 量出来大概多少？早上和晚上差别大吗 HR 呢", "question"),
    ("上次医生建议您做的肠镜，后来做了没有？结果怎么说的", "question"),
    ("Pain score 现在几分？PRN 那个药吃下去之后大概多久能 relief", "question"),
    ("好，听我口令，双手交叉放在他胸口正中，两个乳头连线中间，用力往下压，跟着我数：一、二、三、四……", "suggestion"),
    ("疼了这么多年，光靠忍怎么行呢？神经阻滞是个微创操作，风险很小，值得试一试。", "suggestion"),
    ("这么晚了还在刷手机，能不能试着11点前把手机放到客厅？", "suggestion"),
    ("病理结果出来了，是恶性的，但是发现得比较早，还是一期。一期的肺腺癌手术切掉以后，大部分人都能长期生存。", "suggestion"),
    ("现在有两个方向：一是二甲双胍加量，二是加一针司美格鲁肽，每周打一次。前者便宜，后者减重效果更好，下次门诊我们再细谈。", "suggestion"),
    ("今天先打左胳膊的HPV第二针，流感疫苗隔两周再来打，好不好？", "suggestion"),
    ("晚上起夜多的话，床边放个坐便椅，走廊装个小夜灯，地上的地毯能撤就撤，防摔比什么都重要。", "suggestion"),
    ("救护车五分钟到，你先下楼把单元门打开。病人现在还能叫得醒吗？", "mixed"),
    ("血压遮尔悬，药仔逐工着食。汝暗时睏有好无？", "mixed"),
    ("勿客气，侬多保重。", "other"),
    # what the rules above must not take
    ("这张照片里左边那颗痣是最近才变大的呢，还是一直这么大", "question"),
    ("您上传的检查报告图片系统还在加载，我这边暂时打不开，下午统一处理。", "other"),
    ("你先说说怎么回事", "question"),
    ("你先前吃过这个药吗", "question"),
]


@pytest.mark.parametrize(("text", "expected"), CASES_S58B, ids=[t[:8] for t, _ in CASES_S58B])
def test_session_58_second_set_cases(text: str, expected: str) -> None:
    assert classify_rules(text).turn_type == expected, classify_rules(text).cues


@pytest.mark.parametrize(("text", "expected"), CASES_S58, ids=[t[:8] for t, _ in CASES_S58])
def test_session_58_set_cases(text: str, expected: str) -> None:
    assert classify_rules(text).turn_type == expected, classify_rules(text).cues


CASES_S57C = [
    ("如果晚上还是疼醒，就加一片止痛药。现在一天疼几次", "mixed"),
    ("阿姨，叔叔这两天自己能坐起来吃饭了吧", "question"),
    ("你啲尿酸好高，要戒啤酒同海鮮。你而家仲有冇食緊降尿酸藥呀", "mixed"),
    ("小朋友这个是乳牙滞留，需要拔掉让恒牙长正😊 他怕不怕打麻药呀", "mixed"),
    ("【问题分析】您提供的信息较少，暂时无法判断。【建议】请补充以下信息：1. 胸闷持续多久 2. 是否与活动有关 3. 既往有无高血压", "question"),
    ("非常抱歉这么晚才回复您，想冒昧请教一下，最近家里或学校是否有让他感到紧张的事情", "question"),
    ("非常感谢您在百忙之中抽出时间反馈复诊情况，衷心祝愿您和家人一切顺遂、身体安康。", "other"),
    ("你的ALT和AST最近一次check是什么时候 有没有report可以upload一下", "question"),
    ("这两个药最好别一起吃，我建议换成泮托拉唑。您这个氯吡格雷是心内科开的吧", "mixed"),
    ("那血压降到多少合适呢？一般来说，中风后稳定期控制在130/80以下比较理想，但也别一下子降得太猛。", "suggestion"),
    ("先给您查个尿培养，好吗？以前得过几次尿路感染", "mixed"),
    ("嗯 这个 皮疹 然后 看着 像 过敏 那个 先 别 吃 海鲜 那个 你 之前 有没有 药物过敏史", "mixed"),
    ("您好，我是今天值班的药师，有用药方面的问题可以跟我说。", "other"),
    ("别担心，这个年纪有点漏尿很常见，可以练练盆底肌。您生过几个孩子", "mixed"),
    ("侬迭个血压有点高，盐要少吃点。平常辰光头晕伐", "mixed"),
    ("嗯 那个 你先 把 布洛芬 停了 然后 那个 你 胃 现在 还疼不疼", "mixed"),
    # what the rules above must not take
    ("再过几个小时再吃第二次药。", "suggestion"),
    ("先这样吧，明天再来复查。", "suggestion"),
]


@pytest.mark.parametrize(("text", "expected"), CASES_S57C, ids=[t[:8] for t, _ in CASES_S57C])
def test_session_57_third_set_cases(text: str, expected: str) -> None:
    assert classify_rules(text).turn_type == expected, classify_rules(text).cues


@pytest.mark.parametrize(("text", "expected"), CASES_S57B, ids=[t[:8] for t, _ in CASES_S57B])
def test_session_57_second_set_cases(text: str, expected: str) -> None:
    assert classify_rules(text).turn_type == expected, classify_rules(text).cues


@pytest.mark.parametrize(("text", "expected"), CASES_S57, ids=[t[:8] for t, _ in CASES_S57])
def test_session_57_set_cases(text: str, expected: str) -> None:
    assert classify_rules(text).turn_type == expected, classify_rules(text).cues


@pytest.mark.parametrize(("text", "expected"), CASES_S56C, ids=[t[:8] for t, _ in CASES_S56C])
def test_session_56_third_set_cases(text: str, expected: str) -> None:
    assert classify_rules(text).turn_type == expected, classify_rules(text).cues


@pytest.mark.parametrize(("text", "expected"), CASES_S56B, ids=[t[:8] for t, _ in CASES_S56B])
def test_session_56_second_set_cases(text: str, expected: str) -> None:
    assert classify_rules(text).turn_type == expected, classify_rules(text).cues


@pytest.mark.parametrize(("text", "expected"), CASES_S56, ids=[t[:8] for t, _ in CASES_S56])
def test_session_56_set_cases(text: str, expected: str) -> None:
    assert classify_rules(text).turn_type == expected, classify_rules(text).cues


@pytest.mark.parametrize(("text", "expected"), CASES_S55C, ids=[t[:8] for t, _ in CASES_S55C])
def test_session_55_third_set_cases(text: str, expected: str) -> None:
    assert classify_rules(text).turn_type == expected, classify_rules(text).cues


@pytest.mark.parametrize(("text", "expected"), CASES_S55B, ids=[t[:8] for t, _ in CASES_S55B])
def test_session_55_second_set_cases(text: str, expected: str) -> None:
    assert classify_rules(text).turn_type == expected, classify_rules(text).cues


@pytest.mark.parametrize(("text", "expected"), CASES_S55, ids=[t[:8] for t, _ in CASES_S55])
def test_session_55_set_cases(text: str, expected: str) -> None:
    assert classify_rules(text).turn_type == expected, classify_rules(text).cues


@pytest.mark.parametrize(("text", "expected"), CASES_S54C, ids=[t[:8] for t, _ in CASES_S54C])
def test_session_54_third_set_cases(text: str, expected: str) -> None:
    assert classify_rules(text).turn_type == expected, classify_rules(text).cues


@pytest.mark.parametrize(("text", "expected"), CASES_S54B, ids=[t[:8] for t, _ in CASES_S54B])
def test_session_54_second_set_cases(text: str, expected: str) -> None:
    assert classify_rules(text).turn_type == expected, classify_rules(text).cues


@pytest.mark.parametrize(("text", "expected"), CASES_S54, ids=[t[:8] for t, _ in CASES_S54])
def test_session_54_cases(text: str, expected: str) -> None:
    assert classify_rules(text).turn_type == expected, classify_rules(text).cues


CASES_S53C = [
    ("布洛芬和NSAIDs类药先停一周。有没有胃痛？", "mixed"),  # NSAIDs: no AI disclaimer
    ("ICD-10编码：K29.7。建议复查胃镜。", "suggestion"),
    ("从症状看胆囊炎的可能性很小。", "suggestion"),
    ("先平躺，十分钟后复测血压", "suggestion"),
    ("血压这么高就直接去ER", "suggestion"),
    ("I'd start you on amlodipine 5 mg. Any ankle swelling before?", "mixed"),
    ("Don't worry, take your time.", "other"),
    ("拔牙后多少会疼几天，属于正常现象。", "suggestion"),
    ("拔牙后疼了几天？", "question"),
]


@pytest.mark.parametrize(("text", "expected"), CASES_S53C, ids=[t[:8] for t, _ in CASES_S53C])
def test_session_53_third_set_cases(text: str, expected: str) -> None:
    assert classify_rules(text).turn_type == expected, classify_rules(text).cues


@pytest.mark.parametrize(("text", "expected"), CASES_S53B, ids=[t[:8] for t, _ in CASES_S53B])
def test_session_53_second_set_cases(text: str, expected: str) -> None:
    assert classify_rules(text).turn_type == expected, classify_rules(text).cues


@pytest.mark.parametrize(("text", "expected"), CASES_S53, ids=[t[:8] for t, _ in CASES_S53])
def test_session_53_cases(text: str, expected: str) -> None:
    assert classify_rules(text).turn_type == expected, classify_rules(text).cues


@pytest.mark.parametrize(("text", "expected"), CASES_S52B, ids=[t[:8] for t, _ in CASES_S52B])
def test_session_52_second_set_cases(text: str, expected: str) -> None:
    assert classify_rules(text).turn_type == expected, classify_rules(text).cues


@pytest.mark.parametrize(("text", "expected"), CASES_S52, ids=[t[:8] for t, _ in CASES_S52])
def test_session_52_cases(text: str, expected: str) -> None:
    assert classify_rules(text).turn_type == expected, classify_rules(text).cues


@pytest.mark.parametrize(("text", "expected"), CASES_S51, ids=[t[:8] for t, _ in CASES_S51])
def test_session_51_cases(text: str, expected: str) -> None:
    assert classify_rules(text).turn_type == expected, classify_rules(text).cues


@pytest.mark.parametrize(("text", "expected"), CASES_S50, ids=[t[:8] for t, _ in CASES_S50])
def test_session_50_cases(text: str, expected: str) -> None:
    assert classify_rules(text).turn_type == expected, classify_rules(text).cues


@pytest.mark.parametrize(("text", "expected"), CASES_S44, ids=[t[:8] for t, _ in CASES_S44])
def test_session_44_cases(text: str, expected: str) -> None:
    assert classify_rules(text).turn_type == expected, classify_rules(text).cues


@pytest.mark.parametrize(("text", "expected"), CASES_S43, ids=[t[:8] for t, _ in CASES_S43])
def test_session_43_cases(text: str, expected: str) -> None:
    assert classify_rules(text).turn_type == expected, classify_rules(text).cues


def test_traditional_characters_are_read_as_simplified() -> None:
    text = "請問您幾歲？這種情況建議去醫院。"
    assert len(to_simplified(text)) == len(text)  # one character for one: offsets are unchanged
    assert to_simplified(text) == "请问您几岁？这种情况建议去医院。"
    assert to_simplified("甚麼時候") == "什么时候"
    assert to_simplified("比較懸") == "比较悬"  # Taiwanese writing (比較好, 血壓有較懸)
    assert count_questions(text) == count_questions(to_simplified(text)) == 1


@pytest.mark.parametrize(("text", "expected"), CASES_S42, ids=[t[:8] for t, _ in CASES_S42])
def test_session_42_cases(text: str, expected: str) -> None:
    assert classify_rules(text).turn_type == expected, classify_rules(text).cues


@pytest.mark.parametrize(("text", "expected"), HARD_CASES)
def test_hard_cases(text: str, expected: str) -> None:
    assert classify_rules(text).turn_type == expected


def test_original_markers_fail_the_advice_cases_we_fix() -> None:
    # Makes the hard cases meaningful: the baseline calls these questions.
    advice = [t for t, label in HARD_CASES if label == "suggestion"]
    assert all(is_question_original(t) for t in advice)


def test_suggestion_value_object() -> None:
    s = classify("建议多喝水，注意休息。")
    assert isinstance(s, TurnTypeSuggestion)
    assert s.agent == AGENT
    assert 0.0 <= s.confidence <= 1.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.turn_type = "other"  # type: ignore[misc]


def test_confidence_drops_when_cues_conflict() -> None:
    clear = classify_rules("建议多喝水，注意休息。")
    # 有没有 and 一般/要 compete: the reply is advice, but with less certainty.
    conflicted = classify_rules("有没有效果一般要吃两周药才能看出来。")
    assert clear.turn_type == conflicted.turn_type == "suggestion"
    assert conflicted.confidence < clear.confidence


def test_two_questions_are_more_certain_than_one() -> None:
    one = classify_rules("咳嗽有痰吗？")
    two = classify_rules("咳嗽有痰吗？有没有发烧？")
    assert one.turn_type == two.turn_type == "question"
    assert two.confidence > one.confidence


# ---------------------------------------------------------------- CoQ measures


def test_count_questions() -> None:
    assert count_questions("请问您今年多大年龄，是男性还是女性？") == 2
    assert count_questions("咳嗽有痰吗？痰是什么颜色的？有没有发烧？") == 3
    assert count_questions("建议多喝水。") == 0
    assert count_questions("什么时候需要去医院？如果出现呼吸困难，就要马上就医。") == 0
    assert count_questions("为什么不早点来呢？现在宝宝还吐吗，吐了几次") == 2  # the reproach asks nothing
    assert count_questions("") == 0


def test_count_questions_follows_the_blended_turn_type() -> None:
    """A reply counts as asking exactly when classify says question or mixed, even where the model overrules
    the rules: the rules find no question in a self-answered one, the blend may (and then counts one)."""
    for text in ["能喝酒吗？不能。这几天先别喝。", "建议做个B超，明确有没有结石。", "嗯", "发烧几天了"]:
        asks = classify(text).turn_type in ("question", "mixed")
        assert (count_questions(text) > 0) == asks, text
    assert classify_rules("能喝酒吗？不能。这几天先别喝。").turn_type == "suggestion"  # answered by the doctor


def test_coq_measures() -> None:
    text = "建议先量一下体温。发烧有几天了？"
    assert coq_measures(text) == {"asks_question": True, "question_count": 1, "length_chars": len(text)}
    assert coq_measures("  好的。 ") == {"asks_question": False, "question_count": 0, "length_chars": 3}


# Shapes of long text with no sentence end that once cost the square of their length: each question word (or
# clause, or sentence) read the whole text before or after it. 8,000 repeats took 31 s (哪有不苦), 84 s
# (有啥不舒服随时在), 6.8 s (疼不疼，), 4.2 s (是否按时点药；) and 4,000 took 35 s (疼不疼 肿不肿).
WORST_SHAPES = ["哪有不苦", "有啥不舒服随时在", "疼不疼，", "是否按时点药；", "疼不疼 肿不肿 "]


def _cpu_seconds(text: str) -> float:
    t0 = time.process_time()
    classify(text)
    return time.process_time() - t0


@pytest.mark.parametrize("unit", WORST_SHAPES)
def test_worst_case_shapes_cost_linear_time(unit: str) -> None:
    # As in bench/deidentify_worst_case.py: the time at five times the length grows about 5 times where the
    # cost is linear, 25 where it is quadratic; the bound is generous so that a loaded machine does not fail it.
    small = (unit * (1_600 // len(unit) + 1))[:1_600]
    large = (unit * (8_000 // len(unit) + 1))[:8_000]
    classify(small)  # compile the patterns before any clock starts
    growth = _cpu_seconds(large) / max(min(_cpu_seconds(small) for _ in range(3)), 1e-6)
    assert growth < 12, growth


@pytest.mark.parametrize("path", [LABELLED, HELDOUT, *LATER_SETS], ids=lambda p: p.name)
def test_asks_question_agrees_with_turn_type(path: Path) -> None:
    """The stored CoQ measure and the turn type are one reading: a self-answered or rhetorical question counts
    in neither."""
    for rec in _load(path):
        s = classify(rec["text"])
        assert coq_measures(rec["text"])["asks_question"] == (s.turn_type in ("question", "mixed")), rec["text"]


# ---------------------------------------------------------------- labelled data and accuracy


def test_labelled_set_size_and_balance() -> None:
    records = _load(LABELLED)
    counts = Counter(r["turn_type"] for r in records)
    assert len(records) >= 150
    assert set(counts) == set(TURN_TYPES)
    assert min(counts.values()) >= 0.2 * len(records)
    assert len({r["text"] for r in records}) == len(records)


def test_heldout_is_disjoint_from_labelled() -> None:
    labelled = {r["text"] for r in _load(LABELLED)}
    heldout = _load(HELDOUT)
    assert len(heldout) >= 40
    assert not labelled & {r["text"] for r in heldout}
    assert all(r["turn_type"] in TURN_TYPES for r in heldout)


@pytest.mark.parametrize("path", [LABELLED, HELDOUT, *LATER_SETS], ids=lambda p: p.name)
def test_accuracy_beats_original_markers(path: Path) -> None:
    result = evaluate(_load(path))
    assert result["n"] >= 40
    assert result["accuracy"] >= 0.85
    assert result["binary_accuracy"] >= result["original_marker_accuracy"] + 0.05


# ---------------------------------------------------------------- evaluate()


def test_evaluate_on_a_hand_scored_set() -> None:
    records = [
        {"text": "那么今天就聊到这里吧。", "turn_type": "other"},  # baseline: 么 -> question (wrong)
        {"text": "建议多喝水。", "turn_type": "suggestion"},  # baseline: not a question (right)
        {"text": "咳嗽多久了？", "turn_type": "question"},  # baseline: ？ (right)
        {"text": "孩子发烧几天了", "turn_type": "mixed"},  # deliberately mislabelled gold; baseline: no marker
        {"text": "no gold here"},  # ignored: evaluation needs a gold label
    ]
    r = evaluate(records)
    assert r["n"] == 4
    # The baseline is right on records 2 and 3 only: "几天" is not among its markers.
    assert r["original_marker_accuracy"] == 0.5
    # Ours says question for the last one: wrong on 4 classes, right on the binary mapping.
    assert r["accuracy"] == 0.75
    assert r["binary_accuracy"] == 1.0
    assert r["confusion"]["mixed"]["question"] == 1
    assert sum(sum(row.values()) for row in r["confusion"].values()) == 4


def test_evaluate_needs_gold() -> None:
    with pytest.raises(InputError):
        evaluate([{"text": "你好"}])
    with pytest.raises(InputError, match="turn_type"):
        evaluate([{"text": "你好", "turn_type": "greeting"}])


# ---------------------------------------------------------------- JSONL and the classify command


def test_run_classify_outputs_one_line_per_input() -> None:
    lines = ['{"text": "建议多喝水。"}\n', "\n", '{"text": "咳嗽有痰吗？", "turn_type": "question"}\n']
    out = list(run_classify(lines))
    assert [set(o) for o in out] == [{"text", "turn_type", "confidence"}] * 2
    assert [o["turn_type"] for o in out] == ["suggestion", "question"]
    assert out[0]["text"] == "建议多喝水。"


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (['{"text": "好"}', "{not json"], "line 2: invalid JSON"),
        (['{"txt": "好"}'], 'line 1: missing "text"'),
        (['{"text": 3}'], "line 1: \"text\" must be a string"),
        (["[1, 2]"], "line 1: expected a JSON object"),
        (["", '{"text": "好", "turn_type": "greeting"}'], "line 2: turn_type"),
    ],
)
def test_bad_lines_name_the_line(lines: list[str], message: str) -> None:
    with pytest.raises(InputError, match=message):
        list(run_classify(lines))


def test_classify_command_prints_predictions_and_evaluation() -> None:
    lines = [json.dumps({"text": t, "turn_type": g}, ensure_ascii=False) for t, g in HARD_CASES[:4]]
    out, err = io.StringIO(), io.StringIO()
    assert classify_command(lines, out, err) == 0
    printed = [json.loads(x) for x in out.getvalue().splitlines()]
    assert [p["text"] for p in printed] == [t for t, _ in HARD_CASES[:4]]
    summary = json.loads(err.getvalue())["evaluation"]
    assert summary["n"] == 4


def test_classify_command_without_gold_prints_no_evaluation() -> None:
    out, err = io.StringIO(), io.StringIO()
    classify_command(['{"text": "好的"}', '{"text": "建议多喝水"}'], out, err)
    assert len(out.getvalue().splitlines()) == 2
    assert err.getvalue() == ""


def test_classify_command_scores_the_labelled_lines_and_lists_its_errors() -> None:
    """A file with some lines unlabelled printed no evaluation at all, without a word; and the misclassified
    replies could only be found by diffing the output against the file."""
    lines = ['{"text": "好的"}', '{"text": "建议多喝水", "turn_type": "suggestion"}',
             '{"text": "建议多喝水", "turn_type": "question"}']
    out, err = io.StringIO(), io.StringIO()
    classify_command(lines, out, err, errors=True)
    assert len(out.getvalue().splitlines()) == 3
    summary = json.loads(err.getvalue())["evaluation"]
    assert (summary["n"], summary["unlabelled"], summary["accuracy"]) == (2, 1, 0.5)
    assert summary["errors"] == [{"line": 3, "text": "建议多喝水", "gold": "question", "predicted": "suggestion"}]


def test_classify_command_validates_before_printing() -> None:
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(InputError, match="line 2"):
        classify_command(['{"text": "好的"}', "oops"], out, err)
    assert out.getvalue() == ""
