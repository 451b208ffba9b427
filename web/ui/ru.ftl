# Тексты страниц zemstvo на русском языке. Второй язык — ещё один такой файл.
# Числа для выбора формы передаются как $count, уже отформатированные для показа — как $n.

app-name = Земство
skip-to-content = Перейти к основному содержимому
nav-label = Основное меню
nav-cabinet = Мои задачи
nav-unit = Подразделение
nav-dashboard = Аналитика
nav-plugins = Алгоритмы
signed-in-as = Вы вошли как { $name } ({ $role })
sign-out = Выйти
footer-text = Региональная платформа алгоритмов контроля. Данные демонстрационные, если не указано иное.
back-to-start = Вернуться на главную

role-administrator = администратор
role-manager = руководитель
role-employee = специалист
role-auditor = аудитор

## Вход

sign-in-title = Вход в систему
sign-in-lead = Войдите под учётной записью, которую выдал администратор региона, или по одноразовой ссылке.
sign-in-login = Логин
sign-in-password = Пароль
sign-in-submit = Войти
sign-in-expired = Сессия завершилась. Войдите снова — вы вернётесь на ту же страницу.
error-login-empty = Введите логин
error-password-empty = Введите пароль
error-sign-in-wrong = Неверный логин или пароль, либо учётная запись отключена
error-sign-in-throttled = Слишком много неудачных попыток входа. Подождите несколько минут или обратитесь к администратору.
error-summary-title = Есть ошибки

## Страницы ошибок

error-403-title = Нет доступа к этой странице
error-403-text = Ваша роль не позволяет открыть эту страницу. Если она нужна вам для работы, обратитесь к администратору региона.
error-404-title = Страница не найдена
error-404-text = Такой страницы нет или она вам недоступна. Проверьте адрес.
error-503-title = Сервис временно недоступен
error-503-text = База данных региона не отвечает. Попробуйте через минуту.
error-other-title = Запрос не выполнен
error-other-text = Не удалось выполнить запрос. Вернитесь на предыдущую страницу и попробуйте ещё раз.
error-csrf = Форма устарела или отправлена не со страницы системы. Откройте страницу заново и повторите действие.

## Задачи

cabinet-title = Мои задачи
cabinet-lead = { $count ->
    [0] У вас нет задач.
    [one] У вас { $n } задача.
    [few] У вас { $n } задачи.
   *[many] У вас { $n } задач.
}
cabinet-open = Открытых: { $n }, из них просроченных: { $overdue }.
tasks-caption = Задачи, новые сверху
col-task = Задача
col-algorithm = Алгоритм
col-due = Срок
col-status = Статус
col-assignee = Исполнитель
col-priority = Приоритет
col-action = Действие
overdue = просрочена
no-due = без срока

task-status-new = Новая
task-status-in_progress = В работе
task-status-done = Выполнена
task-status-rejected = Отклонена

priority-low = низкий
priority-normal = обычный
priority-high = высокий
priority-urgent = срочный

task-title = Задача № { $id }
task-summary = Сведения о задаче
task-created = Поставлена
task-records = Записи, по которым найдено отклонение
task-records-none = Записей к задаче не приложено.
col-record-kind = Вид записи
col-record-id = Номер
task-steps = Что сделать
task-history = История
task-history-none = Статус ещё не менялся.
task-history-reassigned = передана сотруднику { $name }
task-comments = Комментарии
task-comments-none = Комментариев пока нет.
task-actions = Действия
action-take = Взять в работу
action-done = Отметить выполненной
action-reject = Отклонить
action-reject-reason = Причина отклонения
action-reject-hint = Напишите, почему задача не требует исправления. Причина попадёт в историю задачи.
action-comment = Комментарий
action-comment-submit = Добавить комментарий
action-final = Задача закрыта: действий больше нет.
error-reason-empty = Укажите причину отклонения
error-reason-long = Причина не длиннее { $max } символов
error-comment-empty = Введите текст комментария
error-comment-long = Комментарий не длиннее { $max } символов
error-status-changed = Задача уже в другом статусе: обновите страницу.
done-taken = Задача взята в работу.
done-done = Задача отмечена выполненной.
done-rejected = Задача отклонена.
done-commented = Комментарий добавлен.
done-reassigned = Задача передана другому сотруднику.
back-to-tasks = Все мои задачи
back-to-unit = Задачи подразделения

entity-units = Подразделение
entity-employees = Сотрудник
entity-applications = Обращение
entity-application_events = Событие обращения
entity-smev_requests = Запрос СМЭВ
entity-visits = Визит
entity-citizens = Гражданин
entity-inspected_objects = Объект контроля
entity-object_signals = Сигнал по объекту

## Подразделение

unit-title = Задачи подразделения
unit-lead = { $count ->
    [one] В подразделении { $n } сотрудник.
    [few] В подразделении { $n } сотрудника.
   *[many] В подразделении { $n } сотрудников.
}
unit-overdue = Просроченные задачи
unit-overdue-none = Просроченных задач нет.
unit-by-employee = По сотрудникам
unit-load = { $count ->
    [0] открытых задач нет
    [one] { $n } открытая задача
    [few] { $n } открытые задачи
   *[many] { $n } открытых задач
}
unit-reassign = Передать
unit-reassign-to = Кому передать задачу { $id }
unit-reassign-submit = Передать
error-assignee-empty = Выберите сотрудника
error-assignee-outside = Этого сотрудника нельзя выбрать: он не из вашего подразделения или больше не работает

## Алгоритмы

plugins-title = Алгоритмы
plugins-lead = { $count ->
    [one] Установлен { $n } алгоритм.
    [few] Установлено { $n } алгоритма.
   *[many] Установлено { $n } алгоритмов.
}
col-plugin = Алгоритм
col-version = Версия
col-signer = Подпись
col-state = Состояние
col-grants = Разрешения
col-schedule = Расписание
col-next-run = Следующий запуск
state-enabled = Включён
state-disabled = Выключен
state-refused = Не загружается
schedule-none = нет
next-run-none = не запланирован
plugin-enable = Включить
plugin-disable = Выключить
plugin-enabled-done = Алгоритм { $name } включён.
plugin-disabled-done = Алгоритм { $name } выключен: новые запуски не начнутся.
plugin-summary = Сведения
plugin-kind = Вид
plugin-sha = Контрольная сумма пакета
plugin-refused = Почему не загружается
plugin-last-run = Последний запуск
plugin-config = Настройки
plugin-config-lead = Пустое поле означает значение по умолчанию.
plugin-config-none = У алгоритма нет настроек.
plugin-config-submit = Сохранить настройки
plugin-config-saved = Настройки сохранены: они действуют со следующего запуска.
plugin-config-default = По умолчанию: { $value }
plugin-config-range = Допустимо от { $min } до { $max }
plugin-config-min = Не меньше { $min }
plugin-config-max = Не больше { $max }
plugin-history = История установки
flag-yes = да
flag-no = нет
error-config-integer = Введите целое число
error-config-decimal = Введите число, например 1,5
error-config-flag = Выберите «да» или «нет»
error-config-range = Введите число от { $min } до { $max }
error-config-min = Введите число не меньше { $min }
error-config-max = Введите число не больше { $max }
error-config-choice = Выберите одно из значений
error-config-required = Заполните поле
error-config-other = Значение не подходит: { $detail }
kind-deviation-check = проверка отклонений
kind-eligibility-rule = правило назначения
kind-risk-scoring = категории риска
kind-geo-check = проверка визитов

## Аналитика

dashboard-title = Аналитика
dashboard-period = За последние { $count ->
    [one] { $n } день
    [few] { $n } дня
   *[many] { $n } дней
}
dashboard-tasks = Выставлено задач
dashboard-algorithms = Используется алгоритмов
dashboard-employees = Охвачено сотрудников
dashboard-deviations = Выявлено отклонений
dashboard-correlation = Связь сроков рассмотрения с ответами ведомств
dashboard-correlation-note = Коэффициент корреляции Пирсона между сроком рассмотрения заявления и сроком ответа ведомства по заявлениям, решённым за период: чем ближе к 1, тем сильнее сроки рассмотрения зависят от этого ведомства.
col-runs = Запусков
col-employees = Сотрудников
col-deviations = Отклонений
col-p90-days = 90-й процентиль
col-applications = Заявлений
col-correlation = Корреляция
dashboard-by-plugin = Задачи по алгоритмам
dashboard-by-plugin-chart = Число задач по алгоритмам за период
dashboard-smev = Запросы СМЭВ по ведомствам
dashboard-smev-chart = Средняя длительность ответа по ведомствам, дни
col-agency = Ведомство
col-requests = Запросов
col-answered = Отвечено
col-rejected = Отказов
col-pending = Ждут ответа
col-mean-days = Длительность ответа
col-tasks = Задач
days = { $count ->
    [one] { $n } день
    [few] { $n } дня
    [many] { $n } дней
   *[other] { $n } дня
}
no-answers = ответов нет
dashboard-empty = За период данных нет.
error-config-stale = Настройки алгоритма изменили, пока вы редактировали. Проверьте значения и сохраните ещё раз.
dashboard-period-label = Период
dashboard-show = Показать
table-region = Таблица, её можно прокручивать по горизонтали
agency-fns = ФНС
agency-pfr = ПФР
agency-sfr = СФР
agency-mvd = МВД
agency-zags = ЗАГС
agency-rosreestr = Росреестр
agency-fss = ФСС
agency-municipality = Муниципалитет
agency-gis-zhkh = ГИС ЖКХ
error-401-title = Войдите в систему
error-401-text = Чтобы открыть эту страницу, войдите в систему.
error-link-used = Эта ссылка для входа уже использована или устарела. Войдите с логином и паролем или попросите у администратора новую ссылку.
dashboard-change-note = Рядом с числом запросов и длительностью ответа — изменение против предыдущего периода той же длины.

## Журналы

nav-runs = Запуски
nav-audit = Журнал изменений
runs-title = Запуски алгоритмов
runs-lead = Последние запуски, новые сверху, с причиной, если запуск не удался.
runs-none = Запусков ещё не было.
run-succeeded = успешно
run-failed = не удался
col-finished = Завершён
col-outcome = Итог
col-tasks-created = Новых задач
col-failure = Причина сбоя
plugin-runs = История запусков
audit-title = Журнал изменений
audit-lead = Кто, что и когда изменил: алгоритмы, доверенные ключи, пользователи. Новые записи сверху.
col-when = Когда
col-who = Кто
col-what = Что
col-subject = Объект
col-details = Подробности

## Решения без участия специалиста

nav-cases = Решения
cases-title = Решения по заявлениям
cases-lead = Заявления, которые правила назначения решили сами, ждут ответов ведомств или передали специалисту.
cases-all = Все
cases-none = Таких заявлений нет.
case-status-waiting = Ждёт ответов ведомств
case-status-decided = Решено
case-status-failed = Передано специалисту
verdict-approve = Назначить
verdict-deny = Отказать
col-application = Заявление
col-verdict = Решение
col-updated = Обновлено
case-title = Заявление № { $id }
case-measure = Мера поддержки
case-monthly = Ежемесячно
case-period = Период выплат
case-no-end = бессрочно
case-calls = Обращений к правилу
case-failure = Почему правило не решило
case-retry = Отправить правилу снова
case-retried = Заявление снова отправлено правилу: оно решит его в следующем цикле.
case-reasons = Основания отказа
case-payments = Выплаты
case-amount = Сумма
case-trace = Из чего сложилось решение
case-trace-name = Величина
case-trace-value = Значение
case-trace-source = Источник

## Параметры с датой вступления в силу

parameters-title = Параметры алгоритма { $name }
parameters-lead = Суммы и пороги, которые меняются актами с определённой даты. Новая запись действует со своего дня: пересобирать алгоритм не нужно.
parameters-none = У алгоритма нет параметров с датой вступления в силу.
parameters-from = Действует с
parameters-from-hint = Дата, например 01.01.2027
parameters-value = Значение
parameters-value-hint = Число, например 1975 или 1,5
parameters-basis = Основание
parameters-basis-hint = Акт, который устанавливает значение, например «Постановление Правительства ХМАО – Югры № …»
parameters-source = Чья запись
parameters-region = региона
parameters-plugin = из алгоритма
parameters-in-force = действует
parameters-add = Добавить запись
parameters-submit = Добавить
parameters-added = Запись добавлена: она действует со своего дня в следующих запусках и решениях.
plugin-parameters = Параметры с датой вступления в силу
error-parameter-date = Введите дату в виде 01.01.2027
error-parameter-value = Введите число, например 1975 или 1,5
error-parameter-basis = Укажите акт, который устанавливает значение

## Доверенные ключи и пользователи

nav-trust = Ключи
nav-users = Пользователи
trust-title = Доверенные ключи поставщиков
trust-lead = Регион устанавливает и запускает только пакеты, подписанные этими ключами, каждый — в пределах своей области. Изменяются командой zemstvo trust или через API.
trust-keys = Ключи
trust-none = Регион не доверяет ни одному ключу.
trust-vendor = Поставщик
trust-key = Ключ
trust-scope = Какие пакеты
trust-rotated-from = Заменил ключ
trust-revoked = Отозванные ключи
trust-revoked-none = Отозванных ключей нет.
trust-reason = Причина
users-title = Пользователи
users-lead = Учётные записи и их роли. Изменяются командой zemstvo users или через API.
users-login = Логин
users-name = Имя
users-role = Роль
users-employee = Сотрудник
users-active = действует
users-disabled = отключён
plugin-pinned = Версия закреплена
plugin-pin = Закрепить версию
plugin-unpin = Открепить версию
plugin-rollback = Откатить к предыдущей версии
plugin-pinned-done = Версия закреплена: обновления и откаты не выполняются, пока её не открепят.
plugin-unpinned-done = Версия откреплена.
plugin-rolled-back-done = Установлена предыдущая версия: пакет снова проверен по доверенным ключам.
error-rollback = Откат не выполнен: { $detail }
